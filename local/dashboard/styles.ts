/** The dashboard's stylesheet: inlined in every page, so the static report is one self-contained file. */
export const DASHBOARD_CSS = `
:root{--ink:#17212b;--muted:#5b6b7a;--line:#dde3ea;--bg:#f3f5f8;--card:#fff;--accent:#0f5e7a;--accent-ink:#0b4a60;
--sent:#23794a;--deferred:#a86a05;--holdout:#5b5fc7;--suppressed:#b4474b;--focus:#f5a623}
*{box-sizing:border-box}
html{scroll-behavior:smooth}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{left:1rem}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
header.top{background:linear-gradient(100deg,#0d2b3e,#12475f);color:#fff}
header.top .inner{max-width:1240px;margin:0 auto;padding:1rem 1.5rem;display:flex;align-items:center;gap:1.5rem;flex-wrap:wrap}
.brandmark{display:flex;align-items:center;gap:.8rem;flex:1 1 auto;min-width:0}
.logo{width:38px;height:38px;border-radius:10px;background:#2bb3a3;display:grid;place-items:center;font-weight:700;color:#0d2b3e;flex:none}
header.top h1{margin:0;font-size:1.25rem;letter-spacing:.01em}
header.top p{margin:0;color:#c4d6e2;font-size:.88rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.clock{text-align:right;font-size:.8rem;color:#c4d6e2}
.clock time{display:block;font-size:1.05rem;color:#fff;font-variant-numeric:tabular-nums;font-weight:600}
nav.sections{background:#fff;border-bottom:1px solid var(--line);position:sticky;top:0;z-index:5}
nav.sections .inner{max-width:1240px;margin:0 auto;padding:.3rem 1.5rem;display:flex;gap:.25rem 1.2rem;flex-wrap:wrap;align-items:center}
nav.sections a{text-decoration:none;color:var(--ink);font-weight:500;padding:.45rem 0;font-size:.92rem}
nav.sections a:hover{color:var(--accent)}
nav.sections .ext{margin-left:auto;display:flex;gap:1rem}
nav.sections .ext a{color:var(--accent)}
main{max-width:1240px;margin:0 auto;padding:1.25rem 1.5rem 3rem}
section{margin:0 0 1.5rem}
h2{font-size:1.1rem;margin:0 0 .75rem;display:flex;align-items:baseline;gap:.6rem}
h2 small{font-weight:400;color:var(--muted);font-size:.85rem}
h3{font-size:.95rem;margin:1rem 0 .5rem}
.card>h3:first-child{margin-top:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1rem 1.1rem;box-shadow:0 1px 2px rgba(16,32,48,.04)}
.tiles{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(128px,1fr));gap:.7rem}
@media (min-width:1100px){.tiles{grid-template-columns:repeat(8,minmax(0,1fr))}}
.tile{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:.8rem 1rem;border-top:4px solid var(--line)}
.tile .label{display:block;color:var(--muted);font-size:.72rem;text-transform:uppercase;letter-spacing:.04em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tile .value{display:block;font-size:1.7rem;font-weight:650;font-variant-numeric:tabular-nums;line-height:1.2}
.tile .sub{display:block;color:var(--muted);font-size:.76rem;margin-top:.15rem}
.tile.sent{border-top-color:var(--sent)}.tile.deferred{border-top-color:var(--deferred)}
.tile.holdout{border-top-color:var(--holdout)}.tile.suppressed{border-top-color:var(--suppressed)}
.tile.events,.tile.decisions{border-top-color:var(--accent)}.tile.dlq{border-top-color:#7a8794}
.tile.dlq.alert{border-top-color:#c0392b;background:#fff6f5}
table{width:100%;border-collapse:collapse;font-size:.9rem}
th,td{text-align:left;padding:.5rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
thead th{font-size:.72rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;background:#f8fafc;white-space:nowrap}
tbody th{font-weight:400}
td.time{white-space:nowrap;font-variant-numeric:tabular-nums}
tbody tr:hover{background:#fafcfd}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.table-wrap{overflow-x:auto}
.campaign-name{font-weight:600}
.muted{color:var(--muted)}
.small{font-size:.82rem}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em}
.bar{display:flex;height:12px;border-radius:6px;overflow:hidden;background:#e9edf1;min-width:140px;margin:.2rem 0 .3rem}
.bar span{display:block;height:100%}
.bar .sent,.dot.sent{background:var(--sent)}.bar .deferred,.dot.deferred{background:var(--deferred)}
.bar .holdout,.dot.holdout{background:var(--holdout)}.bar .suppressed,.dot.suppressed{background:var(--suppressed)}
.legend{display:flex;gap:1rem;flex-wrap:wrap;font-size:.82rem;color:var(--muted);margin:.2rem 0 .6rem}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:.3rem;vertical-align:-1px}
.counts{display:flex;gap:.7rem;flex-wrap:wrap;font-size:.8rem;color:var(--muted);font-variant-numeric:tabular-nums}
.counts b{color:var(--ink);font-weight:600}
.chips{display:flex;gap:.3rem;flex-wrap:wrap}
.chip{display:inline-block;padding:.08rem .5rem;border-radius:999px;background:#eef2f6;border:1px solid #dfe5eb;font-size:.78rem;white-space:nowrap}
.chip b{font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.1rem .55rem;border-radius:999px;font-size:.76rem;font-weight:600;color:#fff;white-space:nowrap}
.badge.sent{background:var(--sent)}.badge.deferred{background:var(--deferred)}
.badge.holdout{background:var(--holdout)}.badge.suppressed{background:var(--suppressed)}
.channels{display:flex;gap:.6rem;flex-wrap:wrap;font-size:.82rem;font-variant-numeric:tabular-nums}
.channels span{white-space:nowrap}
.channels .zero{color:#a3afba}
details summary{cursor:pointer;color:var(--accent);font-size:.85rem}
ul.facts{margin:.4rem 0 0;padding:0;list-style:none;font-size:.84rem}
ul.facts li{padding:.1rem 0 .1rem 1.3rem;position:relative}
ul.facts li::before{content:"•";position:absolute;left:.35rem;color:var(--muted)}
ul.facts li.ok::before{content:"✓";color:var(--sent)}
ul.facts li.no::before{content:"✗";color:var(--suppressed)}
form.inline{display:flex;gap:.6rem;flex-wrap:wrap;align-items:end;margin:0 0 .8rem}
form.inline label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted);gap:.2rem}
input[type=search],input[type=text],select{font:inherit;padding:.45rem .6rem;border:1px solid #b9c4cf;border-radius:8px;min-width:14rem;background:#fff;color:var(--ink)}
button{font:inherit;padding:.48rem 1rem;border:0;border-radius:8px;background:var(--accent);color:#fff;cursor:pointer;font-weight:600}
button:hover{background:var(--accent-ink)}
a.button-link{font-size:.88rem}
.grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1rem}
@media (max-width:900px){.grid2{grid-template-columns:1fr}}
dl.profile{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0;font-size:.9rem}
dl.profile dt{color:var(--muted)}
dl.profile dd{margin:0;word-break:break-word}
.yes{color:var(--sent);font-weight:600}.no{color:var(--suppressed);font-weight:600}
.empty{color:var(--muted);font-style:italic;margin:.3rem 0}
.notice{background:#eef6fb;border-left:4px solid var(--accent);padding:.5rem .9rem;border-radius:4px;font-size:.88rem}
.flow-head,ol.flows li{display:grid;grid-template-columns:1.25fr 18px 1fr 18px 1fr 18px 1.35fr 18px .9fr 18px 1.2fr;align-items:stretch}
.flow-head{font-size:.68rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);padding:0 .5rem .3rem;font-weight:600}
.flow-head span:nth-child(even){visibility:hidden}
ol.flows{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:.5rem}
ol.flows li{padding:.5rem;border:1px solid var(--line);border-radius:10px;background:#fbfcfd}
ol.flows li.disabled{opacity:.55}
.node{border-radius:8px;padding:.35rem .55rem;font-size:.8rem;border:1px solid;background:#fff;min-width:0;overflow-wrap:anywhere}
.node.none{border-style:dashed;border-color:#cfd6dd;background:transparent;color:#98a5b1}
.node .k{display:block;font-size:.66rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.node.trigger{border-color:#8fc1d6;background:#eef7fb}
.node.rule{border-color:#e0b562;background:#fdf7ea}
.node.audience{border-color:#b7b9ec;background:#f3f3fd}
.node.campaign{border-color:#0f5e7a;background:#fff}
.node.campaign strong{display:block;font-size:.86rem}
.node.channel{border-color:#9ccfb2;background:#eff9f3}
.node.limits{border-color:#cfd6dd;background:#f6f8fa}
.arrow{align-self:center;text-align:center;color:#8696a5;font-size:.95rem}
@media (max-width:900px){.flow-head{display:none}ol.flows li{grid-template-columns:1fr}.arrow{display:none}}
.rules{display:flex;gap:.4rem;flex-wrap:wrap;margin:0 0 .8rem}
pre.mermaid-source{background:#0f1b25;color:#d7e3ec;padding:.8rem 1rem;border-radius:8px;overflow:auto;font-size:.78rem;max-height:22rem}
footer{max-width:1240px;margin:0 auto;padding:0 1.5rem 2rem;color:var(--muted);font-size:.8rem}
`;

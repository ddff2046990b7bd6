import { main } from '#local/cli.ts';

process.exitCode = await main(process.argv.slice(2));

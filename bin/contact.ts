import { main } from '#local/cli.ts';

process.exitCode = main(process.argv.slice(2));

// Runs jest; when HUB_JEST_JSON names a file (as .ci/run does), also writes jest's --json report there.
import { spawnSync } from 'node:child_process';

const args = ['jest', ...process.argv.slice(2)];
if (process.env.HUB_JEST_JSON) args.push('--json', `--outputFile=${process.env.HUB_JEST_JSON}`);
const result = spawnSync('npx', args, { stdio: 'inherit' });
process.exit(result.status ?? 1);

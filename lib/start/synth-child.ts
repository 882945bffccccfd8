// Run as a child process by synthesis.ts: one synthesis of an environment with the sources as
// they are on disk now (a process of its own loads the route table and the configuration
// afresh). Arguments: the environment, the output directory, and `--reuse` to keep an earlier
// synthesis of the same sources.
import { synthesize } from '../synth.ts';

const [envName, outdir, ...flags] = process.argv.slice(2);
if (!envName || !outdir) throw new Error('Usage: synth-child.ts <env> <outdir> [--reuse]');
synthesize(envName, outdir, { reuse: flags.includes('--reuse') });

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Where a function with native modules runs: `linux-arm64` (Lambda's arm64, glibc), or `host`
 * (this machine: the local runtime runs bundles here).
 */
export type NativePlatform = 'host' | 'linux-arm64';

interface PackageJson {
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const readPackage = (root: string, name: string): PackageJson =>
  JSON.parse(readFileSync(path.join(root, name, 'package.json'), 'utf8')) as PackageJson;

/**
 * The packages `names` need at run time in a flat `node_modules` at `root`: themselves, their
 * dependencies, and those optional dependencies that are installed there (a native module's
 * binary for that platform, e.g. `@img/sharp-linux-arm64`).
 */
function packageClosure(names: readonly string[], root: string): string[] {
  const seen = new Set<string>();
  const queue = [...names];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    if (!existsSync(path.join(root, name, 'package.json')))
      throw new Error(`${name} is not installed in ${root}: run npm ci.`);
    seen.add(name);
    const pkg = readPackage(root, name);
    queue.push(...Object.keys(pkg.dependencies ?? {}));
    queue.push(
      ...Object.keys(pkg.optionalDependencies ?? {}).filter((dep) => existsSync(path.join(root, dep))),
    );
  }
  return [...seen].sort();
}

/**
 * A `node_modules` holding `names` for Lambda's linux-arm64, at the versions this checkout has
 * installed: installed once with npm's platform override (`--os=linux --cpu=arm64
 * --libc=glibc`) into `node_modules/.cache/shop-native-modules/`, then reused, so synthesis
 * touches the npm registry only the first time (or after a version change). Nothing is built:
 * sharp ships its binaries as per-platform packages.
 */
function linuxArm64Modules(projectRoot: string, names: readonly string[]): string {
  const local = path.join(projectRoot, 'node_modules');
  const specs = names.map((name) => `${name}@${readPackage(local, name).version}`);
  const dir = path.join(
    local,
    '.cache',
    'shop-native-modules',
    'linux-arm64',
    specs.join('+').replaceAll('/', '_'),
  );
  const done = path.join(dir, '.installed');
  if (!existsSync(done)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
    execFileSync(
      'npm',
      [
        'install',
        '--no-save',
        '--no-package-lock',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--os=linux',
        '--cpu=arm64',
        '--libc=glibc',
        ...specs,
      ],
      { cwd: dir, stdio: 'pipe' },
    );
    writeFileSync(done, `${specs.join('\n')}\n`);
  }
  return path.join(dir, 'node_modules');
}

/**
 * Copies native modules (esbuild cannot bundle a `.node` binary) with what they need into a
 * function's staged bundle as `node_modules/`, for the platform the function runs on; the
 * bundle imports them by name (they are esbuild externals).
 */
export function stageNativeModules(
  projectRoot: string,
  names: readonly string[],
  platform: NativePlatform,
  outputDir: string,
): void {
  if (names.length === 0) return;
  const source =
    platform === 'host' ? path.join(projectRoot, 'node_modules') : linuxArm64Modules(projectRoot, names);
  for (const name of packageClosure(names, source)) {
    cpSync(path.join(source, name), path.join(outputDir, 'node_modules', name), {
      recursive: true,
      dereference: true,
    });
  }
}

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { environmentConfig } from '../../lib/config/environments.ts';
import { ENTRY_METADATA, EndpointFunction, PROJECT_ROOT } from '../../lib/constructs/endpoint-function.ts';
import {
  type CloudAssembly,
  readCloudAssembly,
  resourcesOfType,
} from '../../lib/local/cloudformation/template.ts';
import { synthesize } from '../../lib/synth.ts';

/** Each function's code as the template names it: its S3 key and its staged directory. */
interface FunctionCode {
  readonly s3Key: string;
  readonly assetPath: string;
}

/** Functions by `<stack>/<construct id>`, with the code the template gives them. */
function functionCode(assembly: CloudAssembly): Map<string, FunctionCode> {
  const code = new Map<string, FunctionCode>();
  for (const { resource } of resourcesOfType(assembly, 'AWS::Lambda::Function')) {
    if (typeof resource.Metadata?.[ENTRY_METADATA] !== 'string') continue;
    const cdkPath = String(resource.Metadata['aws:cdk:path']);
    const s3Key = String((resource.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key);
    code.set(cdkPath.split('/').slice(0, 2).join('/'), {
      s3Key,
      assetPath: String(resource.Metadata['aws:asset:path']),
    });
  }
  return code;
}

describe('function bundles (one esbuild build per synthesis)', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'shop-bundling-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  describe('of the shop', () => {
    const first = () => readCloudAssembly(inject('assemblyDir'));
    let again: CloudAssembly;
    beforeAll(() => {
      // Another directory, at another depth than the run's synthesis: nothing may depend on it.
      again = readCloudAssembly(
        synthesize('local', path.join(work, 'elsewhere', 'deeper', 'cdk.out')).outdir,
      );
    }, 180_000);

    it('get the same asset hash and S3 key in every synthesis of the same sources, wherever it goes', () => {
      const before = functionCode(first());
      expect(before.size).toBeGreaterThan(40);
      expect(functionCode(again)).toEqual(before);
      for (const { s3Key, assetPath } of before.values())
        expect(s3Key).toBe(`${assetPath.slice('asset.'.length)}.zip`);
    });

    it('carry no absolute path: maps name their sources relative to the bundle, inside the project', () => {
      const assembly = first();
      for (const [name, { assetPath }] of functionCode(assembly)) {
        const dir = path.join(assembly.dir, assetPath);
        const bundle = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
        expect(bundle.endsWith('//# sourceMappingURL=index.mjs.map\n'), name).toBe(true);
        for (const absolute of [PROJECT_ROOT, tmpdir()]) expect(bundle.includes(absolute), name).toBe(false);
        const map = JSON.parse(readFileSync(path.join(dir, 'index.mjs.map'), 'utf8')) as {
          sources: string[];
          sourcesContent?: unknown;
        };
        expect(map.sourcesContent, name).toBeUndefined();
        // Relative to a bundle two levels below the project root, as function-bundler.ts builds them.
        const outside = map.sources.filter((source) => {
          const resolved = path.resolve(PROJECT_ROOT, 'cdk.out', 'bundle', source);
          return (
            path.isAbsolute(source) ||
            !resolved.startsWith(`${PROJECT_ROOT}${path.sep}`) ||
            !existsSync(resolved)
          );
        });
        expect(outside, name).toEqual([]);
      }
    });

    it('copy the files a route names next to its bundle', () => {
      const assembly = first();
      const docs = functionCode(assembly).get('shop-local-api/SystemGetDocsAsset');
      expect(docs).toBeDefined();
      for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css'])
        expect(existsSync(path.join(assembly.dir, String(docs?.assetPath), file)), file).toBe(true);
    });
  });

  describe('of handlers whose sources change', () => {
    // Entries must lie under the project root; .local/ is ignored by git.
    let sources: string;
    const entry = (file: string) => path.relative(PROJECT_ROOT, path.join(sources, file));
    afterAll(() => rmSync(sources, { recursive: true, force: true }));

    /** An app of three functions: two bundle `shared.ts`, one bundles `other.ts`. */
    function synthesizeHandlers(outdir: string): Map<string, FunctionCode> {
      // The two settings the CLI gives every app: each function then names its bundle and path.
      const app = new App({
        outdir,
        context: { 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true },
      });
      const stack = new Stack(app, 'Handlers');
      const config = environmentConfig('prod');
      for (const [id, file] of [
        ['First', 'first.ts'],
        ['Second', 'second.ts'],
        ['Third', 'third.ts'],
      ] as const)
        new EndpointFunction(stack, id, { entry: entry(file), config });
      app.synth();
      return functionCode(readCloudAssembly(outdir));
    }

    beforeAll(() => {
      mkdirSync(path.join(PROJECT_ROOT, '.local'), { recursive: true });
      sources = mkdtempSync(path.join(PROJECT_ROOT, '.local', 'bundling-test-'));
      writeFileSync(path.join(sources, 'shared.ts'), 'export const greeting = () => "hello";\n');
      writeFileSync(path.join(sources, 'other.ts'), 'export const answer = () => 42;\n');
      for (const file of ['first.ts', 'second.ts'])
        writeFileSync(
          path.join(sources, file),
          `import { greeting } from './shared.ts';\nexport const handler = async () => ({ ${file.slice(0, -3)}: greeting() });\n`,
        );
      writeFileSync(
        path.join(sources, 'third.ts'),
        "import { answer } from './other.ts';\nexport const handler = async () => answer();\n",
      );
    });

    it('keep their hashes when nothing changed, and change only where a bundled source did', () => {
      const first = synthesizeHandlers(path.join(work, 'handlers-1'));
      const second = synthesizeHandlers(path.join(work, 'handlers-2'));
      expect(second).toEqual(first);
      expect(new Set([...first.values()].map((code) => code.s3Key)).size).toBe(3);

      writeFileSync(path.join(sources, 'other.ts'), 'export const answer = () => 43;\n');
      const edited = synthesizeHandlers(path.join(work, 'handlers-3'));
      expect(edited.get('Handlers/First')).toEqual(first.get('Handlers/First'));
      expect(edited.get('Handlers/Second')).toEqual(first.get('Handlers/Second'));
      expect(edited.get('Handlers/Third')?.s3Key).not.toBe(first.get('Handlers/Third')?.s3Key);
    });
  });
});

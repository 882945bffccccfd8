import { resourcesOfType, type TemplateResolver } from './template.ts';

/** One custom resource of the template, as its emulator sees it. */
export interface CustomResource {
  readonly stackName: string;
  readonly logicalId: string;
  /** One of its properties, with intrinsics resolved to the local resources. */
  property(name: string): unknown;
}

/** What a custom resource's provider does at deploy time, done to the local services instead. */
export interface CustomResourceEffects {
  /** Values secrets of the template start out with, by ARN (instead of a generated string). */
  readonly secretValues?: Readonly<Record<string, string>>;
}

/**
 * Emulates one type of custom resource (`Custom::...`). Deployed, CloudFormation runs the
 * resource's provider function; the local runtime cannot know what an app's provider does, so
 * whoever starts it hands in an emulator per type. Types without one are left alone.
 */
export type CustomResourceEmulator = (resource: CustomResource) => CustomResourceEffects;

/** Runs the emulator of every custom resource of the template that has one; their effects, merged. */
export function emulateCustomResources(
  resolver: TemplateResolver,
  emulators: Readonly<Record<string, CustomResourceEmulator>> = {},
): { secretValues: ReadonlyMap<string, string> } {
  const secretValues = new Map<string, string>();
  for (const [type, emulate] of Object.entries(emulators)) {
    for (const { stackName, logicalId, resource } of resourcesOfType(resolver.assembly, type)) {
      const effects = emulate({
        stackName,
        logicalId,
        property: (name) => resolver.resolve(resource.Properties?.[name], stackName),
      });
      for (const [arn, value] of Object.entries(effects.secretValues ?? {})) secretValues.set(arn, value);
    }
  }
  return { secretValues };
}

import type { TemplateReload } from '../cloudformation/reload.ts';
import { shortFunctionName } from '../lambda/log-format.ts';

/** What one burst of saves led to; watch mode prints one line each (`reloadLine`). */
export type ReloadEvent =
  | {
      /** Functions rebuilt and serving their new code (logical ids). */
      readonly kind: 'code';
      readonly functions: readonly string[];
      readonly changed: readonly string[];
      readonly ms: number;
    }
  | {
      /** A new synthesis of the app applied (routes, functions, configuration). */
      readonly kind: 'template';
      readonly reload: TemplateReload;
      readonly ms: number;
    }
  | {
      /** The build or synthesis failed: the previous code keeps serving. */
      readonly kind: 'error';
      readonly stage: 'build' | 'synthesis';
      readonly message: string;
      readonly changed: readonly string[];
    }
  | {
      /** Nothing served reads the changed files. */
      readonly kind: 'unused';
      readonly changed: readonly string[];
    };

const names = (ids: readonly string[]) => ids.map(shortFunctionName).join(', ');
const few = (items: readonly string[], max = 3) =>
  items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');

function templateLine(reload: TemplateReload, ms: number): string {
  const parts = [
    reload.routesAdded.length ? `routes added: ${few(reload.routesAdded)}` : '',
    reload.routesRemoved.length ? `routes removed: ${few(reload.routesRemoved)}` : '',
    reload.added.length ? `functions added: ${names(reload.added)}` : '',
    reload.removed.length ? `functions removed: ${names(reload.removed)}` : '',
    reload.replaced.length ? `reloaded: ${few(reload.replaced.map(shortFunctionName), 8)}` : '',
    reload.needsRestart.length ? `restart to apply changes to ${reload.needsRestart.join(', ')}` : '',
  ].filter(Boolean);
  return `Re-synthesized and reloaded in ${ms.toFixed(0)} ms: ${parts.join('; ') || 'nothing served changed'}`;
}

/** The one line watch mode prints for an event. */
export function reloadLine(event: ReloadEvent): string {
  switch (event.kind) {
    case 'code':
      return `Reloaded ${event.functions.length === 1 ? '' : `${event.functions.length} functions: `}${few(
        event.functions.map(shortFunctionName),
        8,
      )} in ${event.ms.toFixed(0)} ms (${few(event.changed)})`;
    case 'template':
      return templateLine(event.reload, event.ms);
    case 'error':
      return `The ${event.stage} failed after a change to ${few(event.changed)}; still serving the previous code:\n${event.message}`;
    case 'unused':
      return `No function reads ${few(event.changed)}: nothing to reload`;
  }
}

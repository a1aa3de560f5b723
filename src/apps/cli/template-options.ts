/**
 * The nuclei template flags shared by `trawl scan`, `trawl serve` and `trawl worker`: where the templates are,
 * which of them run, and how hard they may press a host. Loading happens before anything is
 * scanned, so a bad directory or value fails the command up front.
 */
import type { Command } from 'commander';
import { loadTemplateSet, TEMPLATE_RUN_DEFAULTS, type TemplateSet } from '../../checks/nuclei/index.js';
import { TrawlError } from '../../errors/index.js';
import { parseIntOption } from './parse-number.js';

export interface TemplateCliOptions {
  templates?: string[];
  templateTags?: string[];
  excludeTags?: string[];
  intrusiveTemplates?: boolean;
  templateRate?: string;
  templateTimeout?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function list(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

export function addTemplateOptions(cmd: Command): Command {
  return cmd
    .option('--templates <dir>', 'run the nuclei templates under this directory (recursive; repeatable or comma-separated); implies -sV', collect)
    .option('--template-tags <tags>', 'only templates with at least one of these tags (comma-separated)', collect)
    .option('--exclude-tags <tags>', 'never templates with any of these tags (comma-separated)', collect)
    .option('--intrusive-templates', 'also run intrusive templates (tags intrusive, dos, fuzz, brute, default-login…; payload guessing; state-changing methods)')
    .option('--template-rate <n>', `new connections per second to one host, templates and checks together (default ${TEMPLATE_RUN_DEFAULTS.perHostRate})`)
    .option('--template-timeout <ms>', `one template request: connect, send, complete answer (default ${TEMPLATE_RUN_DEFAULTS.timeoutMs}; connect and silence are capped at ${TEMPLATE_RUN_DEFAULTS.readTimeoutMs})`);
}

/** The template set the flags ask for; undefined without --templates. */
export async function loadTemplateOptions(o: TemplateCliOptions): Promise<TemplateSet | undefined> {
  const dirs = list(o.templates);
  if (dirs.length === 0) {
    const stray = [o.templateTags && '--template-tags', o.excludeTags && '--exclude-tags', o.intrusiveTemplates && '--intrusive-templates', o.templateRate && '--template-rate', o.templateTimeout && '--template-timeout'].filter(Boolean);
    if (stray.length > 0) throw new TrawlError('TRAWL_E_BAD_OPTION', `${stray.join(', ')} need --templates <dir>`, { value: stray.join(',') });
    return undefined;
  }
  const timeoutMs = o.templateTimeout !== undefined ? parseIntOption('--template-timeout', o.templateTimeout, 1, 600_000) : undefined;
  return loadTemplateSet(dirs, {
    selection: { tags: list(o.templateTags), excludeTags: list(o.excludeTags), intrusive: o.intrusiveTemplates === true },
    limits: {
      ...(o.templateRate !== undefined ? { perHostRate: parseIntOption('--template-rate', o.templateRate, 1, 100_000) } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    },
  });
}

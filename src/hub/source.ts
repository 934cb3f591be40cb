// `hf:ORG/MODEL[@REV]` sources, the Hub endpoint and token from the environment,
// and the cache folder downloads go to.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export interface HubSource {
  /** `ORG/MODEL` (or a legacy single-name id). */
  repo: string;
  /** Branch, tag or commit; 'main' when not given. */
  revision: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isHubSource(s: string): boolean {
  return s.startsWith('hf:');
}

/** Parses `hf:ORG/MODEL[@REV]`; throws UsageError on a malformed id. */
export function parseHubSource(s: string): HubSource {
  const body = s.slice(3);
  const at = body.indexOf('@');
  const repo = at < 0 ? body : body.slice(0, at);
  const revision = at < 0 ? 'main' : body.slice(at + 1);
  const parts = repo.split('/');
  if (!repo || parts.length > 2 || !parts.every((p) => NAME.test(p) && !p.includes('..'))) {
    throw new UsageError(`--source ${s}: not a Hugging Face model id`, 'write it as hf:ORG/MODEL or hf:ORG/MODEL@REVISION, e.g. hf:openai/gpt-oss-20b');
  }
  if (!revision || /\s/.test(revision) || revision.includes('..')) {
    throw new UsageError(`--source ${s}: invalid revision '${revision}'`, 'give a branch, tag or commit after @, e.g. hf:openai/gpt-oss-20b@main');
  }
  return { repo, revision };
}

/** HF_ENDPOINT (like huggingface_hub), default https://huggingface.co. */
export function hubEndpoint(env: Record<string, string | undefined>): string {
  const e = (env.HF_ENDPOINT ?? '').trim();
  return (e || 'https://huggingface.co').replace(/\/+$/, '');
}

/** HF_TOKEN (or the older HUGGING_FACE_HUB_TOKEN); undefined when unset. */
export function hubToken(env: Record<string, string | undefined>): string | undefined {
  const t = (env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN ?? '').trim();
  return t || undefined;
}

/**
 * The download cache: --cache-dir, else $SERA_TRANSFER_CACHE, else
 * $XDG_CACHE_HOME/sera-transfer/hub, else ~/.cache/sera-transfer/hub.
 */
export function cacheRoot(flag: string | undefined, env: Record<string, string | undefined>): string {
  if (flag) return flag;
  if (env.SERA_TRANSFER_CACHE) return env.SERA_TRANSFER_CACHE;
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'sera-transfer', 'hub');
}

/** `models--ORG--MODEL`, as the Hugging Face cache names repository folders. */
export function repoFolder(repo: string): string {
  return `models--${repo.split('/').join('--')}`;
}

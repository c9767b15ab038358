/**
 * The difficulty audits the build shows (cache/audit/<stem>.json, written by `npm run data:audit`),
 * for the Data page's tables.
 */
import type { AuditResult } from '../../lib/audit/audit';

/** An audit as the CLI writes it: the result plus the file it audited and how long it took. */
export type StoredAudit = AuditResult & { file?: string; sha256?: string; seconds?: number };

const files = import.meta.glob<{ default: StoredAudit }>('../../../cache/audit/*.json', { eager: true });

/** The audit in cache/audit/<stem>.json (e.g. phantom_28), or undefined when it was not run. */
export function auditByStem(stem: string): StoredAudit | undefined {
  return Object.entries(files).find(([p]) => p.endsWith(`/${stem}.json`))?.[1].default;
}

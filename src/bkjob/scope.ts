/**
 * Which business (or business set) a v3/v4 call is about, in the parameters each JOB version
 * understands.
 */
import { type BkScope, type JobRef, isLegacyBizSetId } from './model';
import type { QueryValue } from './transport';

/** The scope and the job instance: what every job-level call starts with. */
export function scopeParams(ref: JobRef): Record<string, QueryValue> {
  return { ...scopeOf(ref), job_instance_id: ref.jobInstanceId };
}

/**
 * The scope of a v3/v4 call. JOB 3.3–3.4 know only `bk_biz_id`; 3.5+ take `bk_scope_type` and
 * `bk_scope_id` and ignore `bk_biz_id` when both come (EsbAppScopeReq): for a business, send
 * both. A business set (`set:<id>`) exists only as a scope; a legacy biz-set id (8000000–9999999)
 * goes as `bk_biz_id` alone, which every version maps to its business set. (`| JobRef` only
 * lets a job's ref be passed as an object literal: a JobRef is a BkScope.)
 */
export function scopeOf(scope: BkScope | JobRef): Record<string, QueryValue> {
  if (scope.scopeType === 'biz_set') return { bk_scope_type: 'biz_set', bk_scope_id: String(scope.bizId) };
  if (isLegacyBizSetId(scope.bizId)) return { bk_biz_id: scope.bizId };
  return { bk_scope_type: 'biz', bk_scope_id: String(scope.bizId), bk_biz_id: scope.bizId };
}

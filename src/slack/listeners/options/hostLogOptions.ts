import type { SlackOptionsMiddlewareArgs } from '@slack/bolt';
import { jobRefOfBlockId } from '../../../blocks/actions';
import { searchHostOptions } from '../../../blocks/hostLog';
import { type ListenerDeps, resolvedActor } from '../../context';

/** Menus must answer within Slack's 3 s: leave room for the round trip. */
const OPTIONS_BUDGET_MS = 2500;
/** A menu's host list may be this old; the log itself is always fetched fresh. */
const OPTIONS_SUMMARY_MAX_AGE_MS = 120_000;

export type HostLogOptionsArgs = Pick<SlackOptionsMiddlewareArgs<'block_suggestion'>, 'ack' | 'body'>;

/**
 * The type-to-search host menu of a big job: hosts matching what the user typed, from a recent
 * summary (as that user: the cache is per BlueKing user, so one user's hosts never serve another).
 * Whatever is not ready within the budget, or a user without a BlueKing user, answers an empty
 * list rather than Slack's timeout.
 */
export async function hostLogOptions({ ack, body }: HostLogOptionsArgs, deps: ListenerDeps): Promise<void> {
  const ref = jobRefOfBlockId(body.block_id);
  if (!ref) {
    await ack({ options: [] });
    return;
  }
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), OPTIONS_BUDGET_MS).unref());
  const load = async () => {
    const resolved = await resolvedActor(deps, body.user.id);
    // A menu cannot carry a message: the unmapped user sees no hosts, and clicking one explains why.
    if (resolved.kind === 'unmapped') return null;
    return deps.jobs.recentSummary(resolved.actor, ref, OPTIONS_SUMMARY_MAX_AGE_MS);
  };
  const summary = await Promise.race([
    load().catch((err: unknown) => {
      deps.logger.warn({ err, bizId: ref.bizId, jobInstanceId: ref.jobInstanceId }, 'could not load hosts for a menu');
      return null;
    }),
    timeout,
  ]);
  await ack({ options: summary ? searchHostOptions(summary, typeof body.value === 'string' ? body.value : '', deps.lang) : [] });
}

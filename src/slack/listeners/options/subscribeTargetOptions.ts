import type { SlackOptionsMiddlewareArgs } from '@slack/bolt';
import { decodeModalMetadata, renderTargetOptions, targetBlockScope } from '../../../blocks/subscribeModal';
import { checkPolicy } from '../../guard';
import type { SubscriptionService } from '../../../watch/subscriptionService';
import { type ListenerDeps, resolvedActor } from '../../context';

/** Menus must answer within Slack's 3 s: leave room for the round trip. */
const OPTIONS_BUDGET_MS = 2500;
/** Crons and plans listed per kind (an external select shows at most 100 options). */
const PER_KIND = 50;

export interface TargetOptionsDeps extends ListenerDeps {
  readonly subscriptionService: SubscriptionService;
}

export type TargetOptionsArgs = Pick<SlackOptionsMiddlewareArgs<'block_suggestion'>, 'ack' | 'body'>;

/**
 * The subscribe modal's menu: the business's crons and plans whose name contains what the user
 * typed, read from JOB as that user (so nobody sees another business's jobs through the bot).
 * Whatever is not ready within the budget answers an empty list rather than Slack's timeout.
 */
export async function subscribeTargetOptions({ ack, body }: TargetOptionsArgs, deps: TargetOptionsDeps): Promise<void> {
  const scope = targetBlockScope(body.block_id);
  if (!scope) return void (await ack({ options: [] }));
  // The menu lists nothing of a business the modal's channel may not subscribe to (the submission would be refused).
  const channelId = decodeModalMetadata(body.view?.private_metadata);
  if (!channelId || !checkPolicy(deps, { action: 'subscribe', userId: body.user.id, channelId, scope }, 'subscribe').allowed) return void (await ack({ options: [] }));
  // The list is asked of BlueKing each time: while people wait for it, the menu does not join the line (it could not answer in time).
  if (deps.bkQueue?.saturated()) return void (await ack({ options: [] }));
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), OPTIONS_BUDGET_MS).unref());
  const load = async () => {
    const resolved = await resolvedActor(deps, body.user.id);
    if (resolved.kind === 'unmapped') return null;
    return deps.subscriptionService.search(resolved.actor, scope, typeof body.value === 'string' ? body.value : '', PER_KIND);
  };
  const found = await Promise.race([
    load().catch((err: unknown) => {
      deps.logger.warn({ err, bizId: scope.bizId }, 'could not list crons and plans for the subscribe menu');
      return null;
    }),
    timeout,
  ]);
  if (!found) return void (await ack({ options: [] }));
  await ack(renderTargetOptions(found.crons, found.plans, deps.lang));
}

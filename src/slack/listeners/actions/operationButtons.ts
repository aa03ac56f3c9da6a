/**
 * The buttons that act on a job (and "Terminate job" in its overflow menu): ack at once, read the
 * value as untrusted input, then OperationCommands does the rest (policy, claim, call, result).
 */
import type { AllMiddlewareArgs, BlockAction, BlockElementAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { decodeOperation } from '../../../blocks/operations';
import type { ListenerDeps } from '../../context';
import { ephemeral } from '../../context';
import { messages } from '../../../i18n';
import type { OperationCommands } from '../../operationCommands';

export interface OperationButtonDeps extends ListenerDeps {
  readonly operations: OperationCommands;
}

export type OperationButtonArgs = Pick<SlackActionMiddlewareArgs<BlockAction>, 'ack' | 'body' | 'action' | 'respond'> & Pick<AllMiddlewareArgs, 'client' | 'context'>;

function valueOf(action: BlockElementAction): unknown {
  if (action.type === 'button') return action.value;
  if (action.type === 'overflow') return action.selected_option.value;
  return undefined;
}

export async function operationButton({ ack, body, action, respond, client, context }: OperationButtonArgs, deps: OperationButtonDeps): Promise<void> {
  await ack();
  const request = decodeOperation(valueOf(action));
  if (!request) {
    deps.logger.warn({ actionId: action.action_id }, 'ignoring an operation button with an invalid value');
    return void (await respond(ephemeral(messages(deps.lang).usageProblem(messages(deps.lang).staleButton))));
  }
  const container = body.container as { message_ts?: unknown; is_ephemeral?: unknown } | undefined;
  const messageTs = typeof container?.message_ts === 'string' && container.is_ephemeral !== true ? container.message_ts : null;
  const threadTs = typeof body.message?.thread_ts === 'string' ? body.message.thread_ts : messageTs;
  await deps.operations.perform({ request, userId: body.user.id, channelId: body.channel?.id ?? null, threadTs, respond, client, requestId: context.requestId });
}

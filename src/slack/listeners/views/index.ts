import type { App, BlockAction, PlainTextInputAction, ViewSubmitAction } from '@slack/bolt';
import { SUBSCRIBE_ACTIONS, SUBSCRIBE_VIEW } from '../../../blocks/subscribeModal';
import { type SubscribeModalDeps, subscribeBizEntered, subscribeSubmitted } from './subscribeModal';

export type ViewDeps = SubscribeModalDeps;

export function register(app: App, deps: ViewDeps): void {
  app.action<BlockAction<PlainTextInputAction>>(SUBSCRIBE_ACTIONS.biz, (args) => subscribeBizEntered(args, deps));
  app.view<ViewSubmitAction>(SUBSCRIBE_VIEW, (args) => subscribeSubmitted(args, deps));
}

/**
 * The bot's words about acting on jobs from Slack (retry, ignore, confirm, terminate …), in
 * English and Simplified Chinese. `step` arrives formatted ("step 2 · Restart api-server", escaped).
 */
import type { StepOperationKind } from '../summary/operations';
import type { Lang } from './lang';

export type OperationKind = StepOperationKind | 'terminate_job';

export interface OperationMessages {
  button: Readonly<Record<OperationKind, string>>;
  /** The confirmation dialog: title (≤ 100 chars), what will happen, the confirm button. */
  dialogTitle: Readonly<Record<OperationKind, string>>;
  dialogText(kind: OperationKind, step: string, hosts: number, job: string): string;
  dialogConfirm: Readonly<Record<OperationKind, string>>;
  dialogDeny: string;
  step(position: number, name: string): string;
  /** "@alice retried the 3 failed hosts of step 2 · name". */
  done(kind: OperationKind, user: string, step: string, hosts: number): string;
  already(kind: OperationKind, user: string, when: string): string;
  noLongerAllowed(step: string, state: string): string;
  notConfirmer(user: string): string;
  gone: string;
  /** `/joblog retry|confirm` without the job. */
  problemNeedsJob(verb: 'retry' | 'confirm'): string;
  /** The command form found nothing of that kind to do. */
  nothingToDo(verb: 'retry' | 'confirm', job: string): string;
  modalTitle: string;
}

const EN: OperationMessages = {
  button: {
    retry_failed: 'Retry failed hosts',
    retry_all: 'Retry all hosts',
    ignore_error: 'Ignore error',
    confirm: 'Confirm',
    terminate_confirmation: 'Terminate',
    restart_confirmation: 'Restart confirmation',
    next_step: 'Next step',
    skip: 'Force skip',
    continue_rolling: 'Continue rolling',
    terminate_job: 'Terminate job',
  },
  dialogTitle: {
    retry_failed: 'Retry failed hosts?',
    retry_all: 'Retry all hosts?',
    ignore_error: 'Ignore the error?',
    confirm: 'Confirm and continue?',
    terminate_confirmation: 'Terminate the job?',
    restart_confirmation: 'Ask for confirmation again?',
    next_step: 'Go on to the next step?',
    skip: 'Force skip the step?',
    continue_rolling: 'Continue rolling?',
    terminate_job: 'Terminate the job?',
  },
  dialogText: (kind, step, hosts, job) => {
    const what = {
      retry_failed: `Retry the ${hosts === 1 ? 'failed host' : `${hosts} failed hosts`} of ${step}`,
      retry_all: `Run ${step} again on all its hosts`,
      ignore_error: `Ignore the failure of ${step} and go on with the next step`,
      confirm: `Confirm ${step} and let the job go on`,
      terminate_confirmation: `Refuse ${step}: the job ends here`,
      restart_confirmation: `Ask the confirmers of ${step} again`,
      next_step: `Go on with the step after ${step}`,
      skip: `Skip ${step} while it is stopping, and go on`,
      continue_rolling: `Start the next batch of ${step}`,
      terminate_job: 'Stop the job now',
    }[kind];
    return `${what} in ${job}, as your own BlueKing user?`;
  },
  dialogConfirm: {
    retry_failed: 'Retry',
    retry_all: 'Retry all',
    ignore_error: 'Ignore error',
    confirm: 'Confirm',
    terminate_confirmation: 'Terminate',
    restart_confirmation: 'Restart',
    next_step: 'Next step',
    skip: 'Skip',
    continue_rolling: 'Continue',
    terminate_job: 'Terminate',
  },
  dialogDeny: 'Cancel',
  step: (position, name) => `step ${position}${name ? ` · ${name}` : ''}`,
  done: (kind, user, step, hosts) =>
    ({
      retry_failed: `:repeat: ${user} retried the ${hosts === 1 ? 'failed host' : `${hosts} failed hosts`} of ${step}.`,
      retry_all: `:repeat: ${user} ran ${step} again on all its hosts.`,
      ignore_error: `:fast_forward: ${user} ignored the error of ${step}; the job goes on.`,
      confirm: `:white_check_mark: ${user} confirmed ${step}; the job goes on.`,
      terminate_confirmation: `:no_entry: ${user} refused ${step}; the job ends.`,
      restart_confirmation: `:arrows_counterclockwise: ${user} asked for confirmation of ${step} again.`,
      next_step: `:fast_forward: ${user} went on to the step after ${step}.`,
      skip: `:fast_forward: ${user} skipped ${step}.`,
      continue_rolling: `:arrow_forward: ${user} continued rolling ${step}.`,
      terminate_job: `:octagonal_sign: ${user} terminated the job.`,
    })[kind],
  already: (kind, user, when) => `Already done: ${user} pressed “${EN.button[kind]}” at ${when}. Nothing was sent again.`,
  noLongerAllowed: (step, state) => `JOB no longer allows that: ${step} is now ${state}. Someone may have acted on it already; the job's messages show what happens next.`,
  notConfirmer: (user) => `Only the confirmers of this step may confirm or terminate it, and your BlueKing user ${user} is not one of them. Ask a confirmer, or the job's owner to add you.`,
  gone: 'JOB has no such job or step in this business any more.',
  problemNeedsJob: (verb) => (verb === 'retry' ? '`retry` needs <bk_biz_id> <job_instance_id> [<step_instance_id>]' : '`confirm` needs <bk_biz_id> <job_instance_id>'),
  nothingToDo: (verb, job) => (verb === 'retry' ? `${job} has no failed, abnormal or stopped step to retry right now.` : `${job} has no step waiting for confirmation right now.`),
  modalTitle: 'Act on a job',
};

const ZH: OperationMessages = {
  button: {
    retry_failed: '失败IP重做',
    retry_all: '全部重试',
    ignore_error: '忽略错误',
    confirm: '确认继续',
    terminate_confirmation: '终止',
    restart_confirmation: '重新发起确认',
    next_step: '进入下一步',
    skip: '强制跳过',
    continue_rolling: '继续滚动',
    terminate_job: '终止作业',
  },
  dialogTitle: {
    retry_failed: '重做失败主机？',
    retry_all: '全部主机重试？',
    ignore_error: '忽略错误？',
    confirm: '确认继续？',
    terminate_confirmation: '终止作业？',
    restart_confirmation: '重新发起确认？',
    next_step: '进入下一步？',
    skip: '强制跳过该步骤？',
    continue_rolling: '继续滚动？',
    terminate_job: '终止作业？',
  },
  dialogText: (kind, step, hosts, job) => {
    const what = {
      retry_failed: `重做${step}的 ${hosts} 台失败主机`,
      retry_all: `在${step}的全部主机上重新执行`,
      ignore_error: `忽略${step}的失败并继续下一步`,
      confirm: `确认${step}，作业继续执行`,
      terminate_confirmation: `拒绝${step}，作业在此结束`,
      restart_confirmation: `重新通知${step}的确认人`,
      next_step: `从${step}之后的步骤继续`,
      skip: `跳过正在停止的${step}并继续`,
      continue_rolling: `开始${step}的下一批滚动`,
      terminate_job: '立即停止作业',
    }[kind];
    return `以你自己的蓝鲸用户在${job}中${what}？`;
  },
  dialogConfirm: {
    retry_failed: '重做',
    retry_all: '全部重试',
    ignore_error: '忽略错误',
    confirm: '确认',
    terminate_confirmation: '终止',
    restart_confirmation: '重新发起',
    next_step: '下一步',
    skip: '跳过',
    continue_rolling: '继续',
    terminate_job: '终止',
  },
  dialogDeny: '取消',
  step: (position, name) => `步骤 ${position}${name ? ` · ${name}` : ''}`,
  done: (kind, user, step, hosts) =>
    ({
      retry_failed: `:repeat: ${user} 重做了${step}的 ${hosts} 台失败主机。`,
      retry_all: `:repeat: ${user} 在全部主机上重新执行了${step}。`,
      ignore_error: `:fast_forward: ${user} 忽略了${step}的错误，作业继续。`,
      confirm: `:white_check_mark: ${user} 确认了${step}，作业继续。`,
      terminate_confirmation: `:no_entry: ${user} 拒绝了${step}，作业结束。`,
      restart_confirmation: `:arrows_counterclockwise: ${user} 重新发起了${step}的确认。`,
      next_step: `:fast_forward: ${user} 从${step}之后继续。`,
      skip: `:fast_forward: ${user} 跳过了${step}。`,
      continue_rolling: `:arrow_forward: ${user} 继续滚动${step}。`,
      terminate_job: `:octagonal_sign: ${user} 终止了作业。`,
    })[kind],
  already: (kind, user, when) => `已有人操作：${user} 于 ${when} 点了“${ZH.button[kind]}”，未重复提交。`,
  noLongerAllowed: (step, state) => `作业平台已不允许该操作：${step}当前为${state}。可能已有人处理，后续进展见作业消息。`,
  notConfirmer: (user) => `只有该步骤的确认人可以确认或终止，你的蓝鲸用户 ${user} 不在其中。请联系确认人，或请作业负责人添加你。`,
  gone: '该业务中已没有这个作业或步骤。',
  problemNeedsJob: (verb) => (verb === 'retry' ? '`retry` 需要 <bk_biz_id> <job_instance_id> [<step_instance_id>]' : '`confirm` 需要 <bk_biz_id> <job_instance_id>'),
  nothingToDo: (verb, job) => (verb === 'retry' ? `${job}当前没有可重做的失败、异常或已停止的步骤。` : `${job}当前没有等待确认的步骤。`),
  modalTitle: '操作作业',
};

export function operationMessages(lang: Lang): OperationMessages {
  return lang === 'zh-CN' ? ZH : EN;
}

/**
 * BlueKing JOB's status labels in the bot's languages: the words JOB's own console uses
 * (its i18n bundles `task.run.status.*` and `agent.task.status.*`). The codes and what they
 * mean to the bot live in `bkjob/status.ts`; only the words are here.
 */
import type { Lang } from './lang';

export interface StatusLabel {
  readonly en: string;
  readonly zh: string;
}

const STEP_STATUS_LABELS: Readonly<Record<number, StatusLabel>> = {
  1: { en: 'Pending', zh: '等待执行' },
  2: { en: 'Running', zh: '正在执行' },
  3: { en: 'Success', zh: '执行成功' },
  4: { en: 'Failed', zh: '执行失败' },
  5: { en: 'Skipped', zh: '跳过' },
  6: { en: 'Ignore Error', zh: '忽略错误' },
  7: { en: 'Waiting', zh: '等待确认' },
  8: { en: 'Terminated', zh: '手动结束' },
  9: { en: 'Abnormal', zh: '状态异常' },
  10: { en: 'Terminating', zh: '强制终止中' },
  11: { en: 'Terminate Success', zh: '强制终止成功' },
  // Never sent by any JOB version (3.3 to HEAD); kept so an old or odd answer still reads.
  12: { en: 'Terminate Failed', zh: '强制终止失败' },
  13: { en: 'Termination Confirmed', zh: '确认终止' },
  14: { en: 'Abandoned', zh: '被丢弃' },
  15: { en: 'Rolling Waiting', zh: '滚动等待' },
};

const HOST_STATUS_LABELS: Readonly<Record<number, StatusLabel>> = {
  0: { en: 'Unknown Error', zh: '未知错误' },
  1: { en: 'Abnormal Agent', zh: 'Agent 异常' },
  2: { en: 'Invalid Execute Object', zh: '无效执行对象' },
  3: { en: 'Successful Last Time', zh: '上次已成功' },
  5: { en: 'Waiting', zh: '等待执行' },
  7: { en: 'Running', zh: '正在执行' },
  9: { en: 'Success', zh: '执行成功' },
  11: { en: 'Failed', zh: '任务失败' },
  12: { en: 'Task Send Failed', zh: '任务下发失败' },
  13: { en: 'Task Timeout', zh: '任务超时' },
  15: { en: 'Error in Log', zh: '任务日志错误' },
  16: { en: 'Script Log Timeout', zh: '脚本日志超时' },
  17: { en: 'File Log Timeout', zh: '文件日志超时' },
  18: { en: 'Agent Not Installed', zh: 'Agent 未安装' },
  101: { en: 'Script Execution Failed', zh: '脚本执行失败' },
  102: { en: 'Script Execution Timeout', zh: '脚本执行超时' },
  103: { en: 'Script Execution Terminated', zh: '脚本执行被终止' },
  104: { en: 'Non-zero Exit Code', zh: '脚本返回码非零' },
  202: { en: 'File Transmission Failed', zh: '文件传输失败' },
  203: { en: 'Source File Not Exists', zh: '源文件不存在' },
  301: { en: 'Unclassified File Failure', zh: '文件任务未分类错误' },
  303: { en: 'File Transmission Timeout', zh: '执行任务超时' },
  310: { en: 'Abnormal Agent', zh: 'Agent 异常' },
  311: { en: 'User Not Exist', zh: '用户名不存在' },
  312: { en: 'User Password Incorrect', zh: '用户密码不正确' },
  320: { en: 'File Pull Failed', zh: '文件获取失败' },
  321: { en: 'File Size Exceeds Limit', zh: '文件超出限制' },
  329: { en: 'File Transmission Error', zh: '文件传输错误' },
  399: { en: 'Execution Error', zh: '任务执行出错' },
  403: { en: 'Force Terminated', zh: '任务强制终止成功' },
  404: { en: 'Force Terminate Failed', zh: '任务强制终止失败' },
  500: { en: 'Unknown', zh: '未知' },
};

function pick(label: StatusLabel | undefined, lang: Lang, fallbackEn: string, fallbackZh: string): string {
  if (!label) return lang === 'zh-CN' ? fallbackZh : fallbackEn;
  return lang === 'zh-CN' ? label.zh : label.en;
}

export function stepStatusLabel(status: number, lang: Lang = 'en'): string {
  return pick(STEP_STATUS_LABELS[status], lang, `Unknown status ${status}`, `未知状态 ${status}`);
}

export function hostStatusLabel(ipStatus: number, lang: Lang = 'en'): string {
  return pick(HOST_STATUS_LABELS[ipStatus], lang, `Unknown host status ${ipStatus}`, `未知主机状态 ${ipStatus}`);
}


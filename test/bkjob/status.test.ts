/**
 * Status code tables: labels in both languages, graceful unknown codes, and which host statuses
 * count as failures (what the summary groups and the watch rules alert on).
 */
import { HOST_STATUS, STEP_STATUS, isHostFailure, isHostPending, isHostSuccess } from '../../src/bkjob/status';
import { hostStatusLabel, stepStatusLabel } from '../../src/i18n';

describe('stepStatusLabel', () => {
  it.each([
    // JOB's own console words (task.run.status.*), bkjob-source-facts A-9.
    [STEP_STATUS.BLANK, 'Pending', '等待执行'],
    [STEP_STATUS.WAITING_USER, 'Waiting', '等待确认'],
    [STEP_STATUS.STOPPING, 'Terminating', '强制终止中'],
    [STEP_STATUS.STOP_SUCCESS, 'Terminate Success', '强制终止成功'],
    [STEP_STATUS.RUNNING, 'Running', '正在执行'],
    [STEP_STATUS.SUCCESS, 'Success', '执行成功'],
    [STEP_STATUS.FAIL, 'Failed', '执行失败'],
    [STEP_STATUS.SKIPPED, 'Skipped', '跳过'],
    [STEP_STATUS.IGNORE_ERROR, 'Ignore Error', '忽略错误'],
    [STEP_STATUS.TERMINATED, 'Terminated', '手动结束'],
    [STEP_STATUS.ABNORMAL_STATE, 'Abnormal', '状态异常'],
    [STEP_STATUS.CONFIRM_TERMINATED, 'Termination Confirmed', '确认终止'],
    [STEP_STATUS.ABANDONED, 'Abandoned', '被丢弃'],
    [STEP_STATUS.ROLLING_WAITING, 'Rolling Waiting', '滚动等待'],
  ])('labels %i as %p / %p', (status, en, zh) => {
    expect(stepStatusLabel(status, 'en')).toBe(en);
    expect(stepStatusLabel(status, 'zh-CN')).toBe(zh);
  });

  it('has a label for every code 1–15 and defaults to English', () => {
    for (let status = 1; status <= 15; status++) {
      expect(stepStatusLabel(status)).toBe(stepStatusLabel(status, 'en'));
      expect(stepStatusLabel(status)).not.toMatch(/Unknown/);
    }
  });

  it.each([[0], [16], [99], [-1]])('names the unknown code %i instead of failing', (status) => {
    expect(stepStatusLabel(status, 'en')).toBe(`Unknown status ${status}`);
    expect(stepStatusLabel(status, 'zh-CN')).toBe(`未知状态 ${status}`);
  });
});

describe('hostStatusLabel', () => {
  it.each([
    [0, 'Unknown Error', '未知错误'],
    [1, 'Abnormal Agent', 'Agent 异常'],
    [3, 'Successful Last Time', '上次已成功'],
    [5, 'Waiting', '等待执行'],
    [7, 'Running', '正在执行'],
    [9, 'Success', '执行成功'],
    [11, 'Failed', '任务失败'],
    [13, 'Task Timeout', '任务超时'],
    [104, 'Non-zero Exit Code', '脚本返回码非零'],
    [203, 'Source File Not Exists', '源文件不存在'],
    [303, 'File Transmission Timeout', '执行任务超时'],
    [403, 'Force Terminated', '任务强制终止成功'],
    [500, 'Unknown', '未知'],
  ])('labels %i as %p / %p', (status, en, zh) => {
    expect(hostStatusLabel(status, 'en')).toBe(en);
    expect(hostStatusLabel(status, 'zh-CN')).toBe(zh);
  });

  it.each([[4], [6], [100], [9999]])('names the unknown host code %i', (status) => {
    expect(hostStatusLabel(status)).toBe(`Unknown host status ${status}`);
    expect(hostStatusLabel(status, 'zh-CN')).toBe(`未知主机状态 ${status}`);
  });
});

describe('host status classes', () => {
  // Every code in the ExecuteObjectTaskStatusEnum table plus codes JOB may add later.
  const table: readonly [number, 'success' | 'pending' | 'failure'][] = [
    [0, 'failure'],
    [1, 'failure'],
    [2, 'failure'],
    [HOST_STATUS.LAST_SUCCESS, 'success'],
    [HOST_STATUS.WAITING, 'pending'],
    [HOST_STATUS.RUNNING, 'pending'],
    [HOST_STATUS.SUCCESS, 'success'],
    [11, 'failure'],
    [12, 'failure'],
    [13, 'failure'],
    [15, 'failure'],
    [16, 'failure'],
    [17, 'failure'],
    [18, 'failure'],
    [101, 'failure'],
    [102, 'failure'],
    [103, 'failure'],
    [104, 'failure'],
    [202, 'failure'],
    [203, 'failure'],
    [301, 'failure'],
    [303, 'failure'],
    [310, 'failure'],
    [311, 'failure'],
    [312, 'failure'],
    [320, 'failure'],
    [321, 'failure'],
    [329, 'failure'],
    [399, 'failure'],
    [403, 'failure'],
    [404, 'failure'],
    [500, 'failure'],
    // Unknown codes are finished-and-not-successful: better to show an operator than to hide.
    [9999, 'failure'],
  ];

  it.each(table)('host status %i is a %s', (status, cls) => {
    expect(isHostSuccess(status)).toBe(cls === 'success');
    expect(isHostPending(status)).toBe(cls === 'pending');
    expect(isHostFailure(status)).toBe(cls === 'failure');
  });
});

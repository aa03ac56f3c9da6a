/**
 * Test helpers: load the BlueKing fixtures and build JobInstances of any size by hand.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostResult, JobInstance, JobRef, StepInstance } from '../../src/bkjob/model';
import { parseV2JobInstanceLog } from '../../src/bkjob/v2';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'bkjob');

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

export function fixtureJson(name: string): unknown {
  return JSON.parse(fixtureText(name));
}

export const FAILED_REF: JobRef = { bizId: 3, jobInstanceId: 2001893471 };

/** A v2 fixture parsed into a JobInstance (times without offset read as +08:00). */
export function v2FixtureJob(kind: 'failed' | 'running' | 'success', ref: JobRef = FAILED_REF): JobInstance {
  const body = fixtureJson(`v2-get_job_instance_log-${kind}.json`) as { data: unknown };
  return parseV2JobInstanceLog(body.data, ref, { defaultOffsetMinutes: 480 });
}

export interface HostSpec {
  readonly ip?: string;
  readonly bkCloudId?: number;
  readonly ipStatus: number;
  readonly exitCode?: number | null;
}

export function host(spec: HostSpec, i = 0): HostResult {
  return {
    ip: spec.ip ?? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    bkCloudId: spec.bkCloudId ?? 0,
    ipStatus: spec.ipStatus,
    tag: '',
    exitCode: spec.exitCode === undefined ? (spec.ipStatus === 9 ? 0 : 1) : spec.exitCode,
    errorCode: 0,
    startTime: 1_700_000_000_000,
    endTime: 1_700_000_010_000,
    totalTimeMs: 10_000,
    retryCount: 0,
  };
}

export function step(id: number, name: string, status: number, hosts: readonly HostResult[], executeCount = 0): StepInstance {
  return { stepInstanceId: id, name, status, type: 1, startTime: 1_700_000_000_000, endTime: status === 2 || status === 1 ? null : 1_700_000_010_000, totalTimeMs: null, executeCount, hosts };
}

export function job(steps: readonly StepInstance[], ref: JobRef = { bizId: 1, jobInstanceId: 100 }, name: string | null = null): JobInstance {
  return { ref, name, status: null, startTime: 1_700_000_000_000, endTime: 1_700_000_060_000, steps };
}

/** `count` hosts, the first `failing` of them failing with exit codes cycling through `exitCodes`. */
export function hosts(count: number, failing = 0, exitCodes: readonly number[] = [1]): HostResult[] {
  return Array.from({ length: count }, (_, i) => (i < failing ? host({ ipStatus: 104, exitCode: exitCodes[i % exitCodes.length]! }, i) : host({ ipStatus: 9 }, i)));
}

/** The host log buttons under the failed fixture's failing groups. */
export const FAILED_FIXTURE_HOST_BUTTONS = {
  type: 'actions',
  block_id: 'joblog_host_buttons:3:2001893471',
  elements: [
    { type: 'button', action_id: 'joblog_host_log:0', text: { type: 'plain_text', text: '10.0.1.17 · Task Timeout', emoji: false }, value: '{"b":3,"j":2001893471,"s":2003771002,"c":0,"i":"10.0.1.17"}' },
    { type: 'button', action_id: 'joblog_host_log:1', text: { type: 'plain_text', text: '10.0.1.14 · exit 1', emoji: false }, value: '{"b":3,"j":2001893471,"s":2003771002,"c":0,"i":"10.0.1.14"}' },
    { type: 'button', action_id: 'joblog_host_log:2', text: { type: 'plain_text', text: '2:172.16.8.21 · exit 2', emoji: false }, value: '{"b":3,"j":2001893471,"s":2003771002,"c":2,"i":"172.16.8.21"}' },
  ],
};

/** The exact message for the failed fixture (v2), with BK_JOB_WEB_URL=https://job.example.com. */
export const FAILED_FIXTURE_MESSAGE = {
  text: ':x: Job 2001893471 (biz 3) failed: step 2 "Reload nginx": 3 of 8 hosts failed',
  blocks: [
    { type: 'header', text: { type: 'plain_text', text: ':x: Job 2001893471 · failed', emoji: true } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: 'Biz 3 · Instance 2001893471 · 3 steps · 8 hosts · Started <!date^1718072103^{date_short_pretty} {time_secs}|2024-06-11 10:15:03 UTC+08:00>, ended <!date^1718072709^{date_short_pretty} {time_secs}|2024-06-11 10:25:09 UTC+08:00>, took 10m 6s',
        },
      ],
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        verbatim: true,
        text: ':white_check_mark: 1. Distribute nginx.conf · Success · 8 hosts · 6s\n:x: *2. Reload nginx* · Failed · 3 of 8 hosts failed · 10m · <https://job.example.com/api_execute_step/2001893471/2003771002|open step in JOB>\n:white_circle: 3. Health check · Pending',
      },
    },
    { type: 'divider' },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        verbatim: true,
        text: '*Failing hosts in step 2 · Reload nginx*\n• *Task Timeout (13)* · 1 host: `10.0.1.17`\n• *exit 1* · Non-zero Exit Code (104) · 1 host: `10.0.1.14`\n• *exit 2* · Non-zero Exit Code (104) · 1 host: `2:172.16.8.21`',
      },
    },
    FAILED_FIXTURE_HOST_BUTTONS,
    {
      type: 'actions',
      block_id: 'joblog_job_actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in JOB', emoji: true }, action_id: 'joblog_open', url: 'https://job.example.com/api_execute/2001893471' }],
    },
    ],
};

/**
 * The same message when the failing hosts' logs were seen (the v2 streaming reader, as the app
 * reads BlueKing): each failing group with the line of its log that says why, escaped, in code.
 */
export const FAILED_FIXTURE_MESSAGE_WITH_ERROR_LINES = {
  ...FAILED_FIXTURE_MESSAGE,
  blocks: FAILED_FIXTURE_MESSAGE.blocks.map((block) =>
    'text' in block && typeof block.text === 'object' && block.text.text.startsWith('*Failing hosts in step 2')
      ? {
          ...block,
          text: {
            ...block.text,
            text: [
              '*Failing hosts in step 2 · Reload nginx*',
              '• *Task Timeout (13)* · 1 host: `10.0.1.17`',
              '    ↳ `waiting for upstream health endpoint http://127.0.0.1:8080/healthz ...`',
              '• *exit 1* · Non-zero Exit Code (104) · 1 host: `10.0.1.14`',
              '    ↳ `nginx -t 2&gt;&amp;1 failed, abort reload`',
              '• *exit 2* · Non-zero Exit Code (104) · 1 host: `2:172.16.8.21`',
              '    ↳ `nginx.service is not active, cannot reload.`',
            ].join('\n'),
          },
        }
      : block,
  ),
};

/**
 * The first blocks of the log of 10.0.1.14 in the failed fixture's "Reload nginx" step (exit 1 after
 * 3 s, 10:15:09 to 10:15:12 in UTC+08:00): which host and step, and how the host ended.
 */
export const HOST_14_LOG_HEAD = [
  { type: 'section', text: { type: 'mrkdwn', text: ':page_facing_up: Log of `10.0.1.14` in *Reload nginx* · Failed' } },
  {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: 'Non-zero Exit Code (104) · exit 1 · Started <!date^1718072109^{date_short_pretty} {time_secs}|2024-06-11 10:15:09 UTC+08:00> · ended <!date^1718072112^{date_short_pretty} {time_secs}|2024-06-11 10:15:12 UTC+08:00> · took 3s · 0 retries',
      },
    ],
  },
];

/**
 * BlueKing errors in plain words: each code JOB really answers (bkjob-source-facts A-8, C1) gets
 * its own sentence in both languages, right after BlueKing's own message (escaped).
 */
import type { KnownBlock } from '@slack/types';
import { BK_ERROR_CODES, BkJobError, type BkJobErrorDetails, bkErrorHint } from '../../src/bkjob/errors';
import type { JobRef } from '../../src/bkjob/model';
import { renderBkError } from '../../src/blocks/replies';
import type { Lang } from '../../src/i18n';

const REF: JobRef = { bizId: 3, jobInstanceId: 2001893471 };
const HEAD: Readonly<Record<Lang, string>> = {
  en: ':warning: Could not load job instance 2001893471 in business 3.',
  'zh-CN': ':warning: 无法加载业务 3 的作业实例 2001893471。',
};

/** The text lines of every section block (the request id sits in a context block). */
function sectionLines(blocks: readonly KnownBlock[]): string[] {
  return blocks.flatMap((b) => (b.type === 'section' && b.text ? b.text.text.split('\n') : []));
}

/** A JOB `result:false` answer as the transport builds it, in the language BlueKing was asked for. */
function apiError(code: number, bkMessage: string, extra: Partial<BkJobErrorDetails> = {}): BkJobError {
  return new BkJobError(`BlueKing JOB error ${code}: ${bkMessage}`, { kind: 'api', code, bkMessage, requestId: 'r-1', ...extra });
}

function bkLine(lang: Lang, code: number, bkMessage: string): string {
  return lang === 'en' ? `BlueKing JOB error ${code}: ${bkMessage}` : `蓝鲸作业平台错误 ${code}：${bkMessage}`;
}

interface ApiCase {
  readonly name: string;
  readonly code: number;
  /** BlueKing's message in each language (JOB's message{,_en}.properties). */
  readonly bk: Readonly<Record<Lang, string>>;
  readonly extra?: Partial<BkJobErrorDetails>;
  readonly hint: Readonly<Record<Lang, string>>;
}

const API_CASES: readonly ApiCase[] = [
  {
    name: '1244006 job instance not found',
    code: 1244006,
    bk: { en: 'Task instance does not exist', 'zh-CN': '作业实例不存在' },
    hint: {
      en: 'There is no such job instance in this business, or it belongs to another business. Check both numbers: the job instance must belong to that business. (For a host log, it can also mean the step is not in that job.)',
      'zh-CN': '该业务下没有这个作业实例，或它属于其他业务。请检查两个数字：作业实例必须属于该业务。（查看主机日志时，也可能是该步骤不在这个作业中。）',
    },
  },
  {
    name: '1244007 step instance not found',
    code: 1244007,
    bk: { en: 'Task step instance does not exist', 'zh-CN': '作业步骤实例不存在' },
    hint: {
      en: 'There is no such step in this job (or in this business). Run `/joblog` for the job again to see its current steps.',
      'zh-CN': '该作业（或该业务）中没有这个步骤。请重新运行 `/joblog` 查看作业当前的步骤。',
    },
  },
  {
    name: '1241003 unsupported operation',
    code: 1241003,
    bk: { en: 'Unsupported operation', 'zh-CN': '不支持的操作' },
    hint: {
      en: "The step's (or job's) current state does not allow that operation. Look at its current state, or act in the JOB console.",
      'zh-CN': '步骤（或作业）当前的状态不允许该操作。请查看它的最新状态，或在作业平台中操作。',
    },
  },
  {
    name: '1244016 not a confirmer',
    code: 1244016,
    bk: { en: 'Only the confirmer of the step can operate', 'zh-CN': '只有步骤的确认人可以操作' },
    hint: {
      en: "Only the step's confirmers may do that. Ask one of them to act on it in the JOB console.",
      'zh-CN': '只有该步骤的确认人可以执行此操作。请联系确认人在作业平台中处理。',
    },
  },
  {
    name: '1243049 business or business set not found',
    code: 1243049,
    bk: { en: 'Business/Business Set not exist or archived', 'zh-CN': '业务/业务集不存在或已被归档' },
    hint: {
      en: 'There is no such business or business set, or it is archived. Check the id; write a business set as `set:` and its id (e.g. `set:5`).',
      'zh-CN': '没有这个业务或业务集，或它已被归档。请检查 ID；业务集请写成 `set:` 加 ID（例如 `set:5`）。',
    },
  },
  {
    name: '1240002 internal error',
    code: 1240002,
    bk: { en: 'Internal Server Error', 'zh-CN': '内部服务器异常' },
    hint: {
      en: "JOB had an internal error. For a job status request, the job may run in containers, which only JOB's v4 API describes: the bot's admin can set BK_JOB_API_VERSION=v4. For a job list, a filter value may be invalid.",
      'zh-CN': '作业平台内部错误。如果是查询作业状态，该作业可能在容器中执行，只有作业平台的 v4 API 能描述：机器人管理员可以设置 BK_JOB_API_VERSION=v4。如果是查询作业列表，可能是某个筛选值不合法。',
    },
  },
  {
    name: '1241002 invalid parameter (unnamed)',
    code: 1241002,
    bk: { en: 'Invalid request parameter', 'zh-CN': '请求参数不合法' },
    hint: {
      en: 'JOB says a request parameter is invalid or missing. Check the values you gave.',
      'zh-CN': '作业平台认为某个请求参数缺失或不合法，请检查填写的值。',
    },
  },
  {
    name: '1241007 named parameter missing or invalid',
    code: 1241007,
    bk: { en: 'Missing or invalid request parameter [job_instance_id]', 'zh-CN': '请求参数[job_instance_id]缺失或不合法' },
    // What the transport reads from the message (see test/bkjob/transportErrors.test.ts).
    extra: { parameter: 'job_instance_id' },
    hint: {
      en: 'JOB says the request parameter `job_instance_id` is invalid or missing. Check the value you gave.',
      'zh-CN': '作业平台认为请求参数 `job_instance_id` 缺失或不合法，请检查填写的值。',
    },
  },
];

const LANGS: readonly Lang[] = ['en', 'zh-CN'];

describe('one plain sentence per JOB error code, after BlueKing’s own message', () => {
  for (const c of API_CASES) {
    it.each(LANGS)(`${c.name} (%s)`, (lang) => {
      const rendered = renderBkError(apiError(c.code, c.bk[lang], c.extra), REF, lang);
      expect(sectionLines(rendered.blocks)).toEqual([HEAD[lang], bkLine(lang, c.code, c.bk[lang]), c.hint[lang]]);
      // Slack's fallback text stays the short form: what failed and what BlueKing said.
      expect(rendered.text).toBe(`${HEAD[lang]} ${bkLine(lang, c.code, c.bk[lang])}`);
    });
  }

  it('names every code from the one table', () => {
    expect(BK_ERROR_CODES).toMatchObject({
      PERMISSION_DENIED: 9900403,
      INTERNAL_ERROR: 1240002,
      INVALID_PARAMETER: 1241002,
      UNSUPPORTED_OPERATION: 1241003,
      INVALID_NAMED_PARAMETER: 1241007,
      BIZ_NOT_FOUND: 1243049,
      JOB_INSTANCE_NOT_FOUND: 1244006,
      STEP_INSTANCE_NOT_FOUND: 1244007,
      NOT_CONFIRMER: 1244016,
      NO_USER: 1247002,
    });
  });

  it('escapes BlueKing’s message and the parameter it names', () => {
    const err = apiError(1241007, 'Missing or invalid request parameter [a<b>] <!channel>', { parameter: 'x<!here>`y' });
    const lines = sectionLines(renderBkError(err, REF, 'en').blocks);
    expect(lines[1]).toBe('BlueKing JOB error 1241007: Missing or invalid request parameter [a&lt;b&gt;] &lt;!channel&gt;');
    expect(lines[2]).toBe('JOB says the request parameter `x&lt;!here&gt;ˋy` is invalid or missing. Check the value you gave.');
  });

  it('adds no sentence for a code it has none for', () => {
    const err = apiError(1240003, 'Bad Request');
    expect(bkErrorHint(err)).toBeUndefined();
    expect(sectionLines(renderBkError(err, REF, 'en').blocks)).toEqual([HEAD.en, 'BlueKing JOB error 1240003: Bad Request']);
  });
});

describe('9900403 lists the missing IAM actions', () => {
  const bk = { en: 'User (alice) permission not allowed, please confirm and apply permission in IAM and try again', 'zh-CN': '用户(alice)权限不足，请前往权限中心确认并申请补充后重试' } as const;

  it.each(LANGS)('as the bot’s user when the error does not say whose call it was (%s)', (lang) => {
    const lines = sectionLines(renderBkError(apiError(9900403, bk[lang], { missingPermissions: ['access_business (Business access)'] }), REF, lang).blocks);
    expect(lines[2]).toBe(
      lang === 'en'
        ? "The bot's BlueKing user lacks: access_business (Business access). Ask a BlueKing admin to grant it in the permission center (IAM)."
        : '机器人使用的蓝鲸用户缺少权限：access_business (Business access)。请联系蓝鲸管理员在权限中心申请。',
    );
    expect(lines).toHaveLength(3);
  });

  it.each(LANGS)('naming the BlueKing user when the error knows it (%s)', (lang) => {
    const err = apiError(9900403, bk[lang], { missingPermissions: ['view_history (View history)'], username: 'bob' });
    expect(sectionLines(renderBkError(err, REF, lang).blocks)[2]).toBe(
      lang === 'en'
        ? 'BlueKing user `bob` lacks: view_history (View history). Ask a BlueKing admin to grant it in the permission center (IAM).'
        : '蓝鲸用户 `bob` 缺少权限：view_history (View history)。请联系蓝鲸管理员在权限中心申请。',
    );
  });
});

describe('HTTP answers JOB gives outside the envelope', () => {
  it.each(LANGS)('HTTP 401 with 1247002: the gateway passed no user (%s)', (lang) => {
    const err = new BkJobError('BlueKing JOB answered HTTP 401: 缺少有效的用户信息 (code 1247002)', { kind: 'http', code: 401, bkMessage: '缺少有效的用户信息', bkCode: 1247002 });
    const lines = sectionLines(renderBkError(err, REF, lang).blocks);
    expect(lines[1]).toBe(lang === 'en' ? 'BlueKing JOB answered HTTP 401: 缺少有效的用户信息 (code 1247002)' : '蓝鲸作业平台返回 HTTP 401：缺少有效的用户信息');
    expect(lines.slice(2)).toEqual([
      lang === 'en'
        ? "The API gateway found no BlueKing user in the request. A BlueKing admin can exempt the bot's app from the gateway's user verification (bk-verified-user-exempted-apps), or the bot's admin can set BK_V3_TRANSPORT=esb to call JOB through the ESB."
        : 'API 网关未在请求中找到蓝鲸用户。蓝鲸管理员可以在网关上为机器人的应用开启免用户认证（bk-verified-user-exempted-apps），或由机器人管理员设置 BK_V3_TRANSPORT=esb，改为通过 ESB 调用作业平台。',
    ]);
  });

  it.each(LANGS)('HTTP 400 naming the missing parameter (%s)', (lang) => {
    const err = new BkJobError('BlueKing JOB answered HTTP 400: Missing request parameter [job_instance_id]', { kind: 'http', code: 400, bkMessage: 'Missing request parameter [job_instance_id]', parameter: 'job_instance_id' });
    expect(sectionLines(renderBkError(err, REF, lang).blocks).slice(2)).toEqual([
      lang === 'en'
        ? "JOB says the request parameter `job_instance_id` is missing, so this JOB does not accept the bot's request. Give the request id to the bot's admin, who can check BK_JOB_API_VERSION against JOB's version."
        : '作业平台认为缺少请求参数 `job_instance_id`，即该作业平台不接受机器人发出的请求。请把请求 ID 告诉机器人管理员，由其核对 BK_JOB_API_VERSION 与作业平台的版本。',
    ]);
  });

  it('says nothing more for a 401 or 400 of the API gateway itself', () => {
    const noUser = new BkJobError('BlueKing JOB answered HTTP 401', { kind: 'http', code: 401 });
    const badArgs = new BkJobError('BlueKing JOB answered HTTP 400: Parameters error [reason="app code cannot be empty"] (code 1640001)', {
      kind: 'http',
      code: 400,
      bkMessage: 'Parameters error [reason="app code cannot be empty"]',
    });
    expect(sectionLines(renderBkError(noUser, REF, 'en').blocks)).toHaveLength(2);
    expect(sectionLines(renderBkError(badArgs, REF, 'en').blocks)).toHaveLength(2);
  });
});

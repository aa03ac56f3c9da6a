import { AuditLog, type AuditLogger, type AuditRecord } from '../../src/audit/auditLog';
import { pruneAuditOnce } from '../../src/audit/pruner';
import type { AuditEntry, AuditStore } from '../../src/audit/types';
import { MemoryWatchStore } from '../../dev/memoryStore';

const NOW = 1_700_000_000_000;
const DAY = 86_400_000;

const RECORD: AuditRecord = {
  slackUserId: 'U0456',
  bkUsername: 'alice',
  channelId: 'C0123',
  scopeType: 'biz_set',
  bizId: 5,
  jobInstanceId: 20_000_000_123,
  action: 'log_view',
  outcome: 'denied',
  detail: 'BlueKing 9900403',
};

const ENTRY: AuditEntry = { at: NOW, ...RECORD };

function fakeLogger(): AuditLogger & { info: jest.Mock; warn: jest.Mock } {
  return { info: jest.fn(), warn: jest.fn() };
}

function fakeStore(recordAudit: AuditStore['recordAudit'] = () => Promise.resolve()): Pick<AuditStore, 'recordAudit'> & { recordAudit: jest.Mock } {
  return { recordAudit: jest.fn(recordAudit) };
}

describe('AuditLog', () => {
  test('writes one `audit` log line with exactly the entry\'s fields, and the row', async () => {
    const logger = fakeLogger();
    const store = fakeStore();
    await new AuditLog(store, logger, () => NOW).record(RECORD);

    expect(logger.info).toHaveBeenCalledTimes(1);
    expect(logger.info).toHaveBeenCalledWith(ENTRY, 'audit');
    expect(Object.keys(logger.info.mock.calls[0][0] as object).sort()).toEqual(['action', 'at', 'bizId', 'bkUsername', 'channelId', 'detail', 'jobInstanceId', 'outcome', 'scopeType', 'slackUserId']);
    expect(store.recordAudit).toHaveBeenCalledTimes(1);
    expect(store.recordAudit).toHaveBeenCalledWith(ENTRY);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  test('nulls stay null; fields the caller added beyond the entry are neither logged nor stored', async () => {
    const logger = fakeLogger();
    const store = fakeStore();
    const bare: AuditRecord = { slackUserId: 'U1', bkUsername: null, channelId: null, scopeType: null, bizId: null, jobInstanceId: null, action: 'lookup', outcome: 'unmapped', detail: null };
    await new AuditLog(store, logger, () => NOW + 1).record({ ...bare, token: 'xoxb-secret' } as AuditRecord);
    const expected: AuditEntry = { at: NOW + 1, ...bare };
    expect(logger.info.mock.calls[0]).toStrictEqual([expected, 'audit']);
    expect(store.recordAudit.mock.calls[0]).toStrictEqual([expected]);
  });

  test('a store failure is logged as a warning and swallowed', async () => {
    const logger = fakeLogger();
    const failure = new Error('database is locked');
    const store = fakeStore(() => Promise.reject(failure));
    await expect(new AuditLog(store, logger, () => NOW).record(RECORD)).resolves.toBeUndefined();
    expect(logger.info).toHaveBeenCalledWith(ENTRY, 'audit');
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith({ err: failure, action: 'log_view', slackUserId: 'U0456', at: NOW }, 'audit row not stored');
  });

  test('a store that throws synchronously, or rejects with a non-Error, is swallowed too', async () => {
    const logger = fakeLogger();
    const throwing = { recordAudit: jest.fn(() => { throw new Error('closed'); }) } as unknown as Pick<AuditStore, 'recordAudit'>;
    await expect(new AuditLog(throwing, logger, () => NOW).record(RECORD)).resolves.toBeUndefined();
    // A driver may reject with something that is not an Error.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    const rejecting = fakeStore(() => Promise.reject('plain string'));
    await expect(new AuditLog(rejecting, logger, () => NOW).record(RECORD)).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalledTimes(2);
    expect((logger.warn.mock.calls[1][0] as { err: Error }).err.message).toBe('plain string');
  });

  test('a failing logger does not fail the action', async () => {
    const logger = { info: jest.fn(() => { throw new Error('stream closed'); }), warn: jest.fn(() => { throw new Error('stream closed'); }) };
    await expect(new AuditLog(fakeStore(() => Promise.reject(new Error('x'))), logger, () => NOW).record(RECORD)).resolves.toBeUndefined();
    const store = fakeStore();
    const warnThrows = { info: jest.fn(), warn: jest.fn(() => { throw new Error('stream closed'); }) };
    await expect(new AuditLog(fakeStore(() => Promise.reject(new Error('x'))), warnThrows, () => NOW).record(RECORD)).resolves.toBeUndefined();
    await new AuditLog(store, warnThrows, () => NOW).record(RECORD);
    expect(store.recordAudit).toHaveBeenCalledWith(ENTRY);
  });

  test('stores the row in a real store (memory adapter)', async () => {
    const store = new MemoryWatchStore();
    await store.migrate();
    await new AuditLog(store, fakeLogger(), () => NOW).record(RECORD);
    expect(await store.listAudit({ from: NOW, to: NOW + 1, limit: 10 })).toStrictEqual([ENTRY]);
  });
});

describe('pruneAuditOnce', () => {
  test('deletes the entries older than the retention and logs how many', async () => {
    const store = new MemoryWatchStore();
    await store.migrate();
    for (const at of [NOW - 91 * DAY, NOW - 90 * DAY - 1, NOW - 90 * DAY, NOW]) await store.recordAudit({ ...ENTRY, at });
    const logger = fakeLogger();
    expect(await pruneAuditOnce(store, () => NOW, 90 * DAY, logger)).toBe(2);
    expect(logger.info).toHaveBeenCalledWith({ deleted: 2, before: NOW - 90 * DAY }, 'audit entries pruned');
    expect((await store.listAudit({ from: 0, to: NOW + 1, limit: 10 })).map((e) => e.at)).toEqual([NOW, NOW - 90 * DAY]);
    // Nothing to delete: nothing logged.
    expect(await pruneAuditOnce(store, () => NOW, 90 * DAY, logger)).toBe(0);
    expect(logger.info).toHaveBeenCalledTimes(1);
  });

  test('a store failure is logged as a warning; 0 and no throw', async () => {
    const logger = fakeLogger();
    const failure = new Error('connection refused');
    const store = { pruneAudit: jest.fn(() => Promise.reject(failure)) };
    expect(await pruneAuditOnce(store, () => NOW, DAY, logger)).toBe(0);
    expect(store.pruneAudit).toHaveBeenCalledWith(NOW - DAY);
    expect(logger.warn).toHaveBeenCalledWith({ err: failure, before: NOW - DAY }, 'audit prune failed');
  });
});

/**
 * pickErrorLine: the line of a host log that says why it failed. Exact results for real-world
 * failure shapes (bash `set -x`, Python, Java, Node, rsync, curl, Chinese messages), JOB's own
 * bookkeeping markers, word boundaries and zero counts, line endings, the 150-character cut, and
 * speed on a 1 MB single line and a 100k-line log.
 */
import { ERROR_LINE_MAX_CHARS, ERROR_WORDS, ERROR_WORDS_ZH, cutToCodePoints, isErrorLike, isJobBookkeeping, pickErrorLine } from '../../src/summary/errorLine';

const MB = 1024 * 1024;

function log(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

function codePoints(text: string): number {
  return [...text].length;
}

describe('pickErrorLine: real failures', () => {
  it('bash set -x: the error after the traced commands, not a traced command', () => {
    const raw = log(
      '[2024-05-01 03:00:01][PID:12345] job_start',
      '+ cd /data/app',
      '+ cp -r release/current /data/app/backup',
      '+ cp config/app.conf /etc/app/app.conf',
      "cp: cannot create regular file '/etc/app/app.conf': Permission denied",
      '+ grep -c error /var/log/app.log',
      '+ exit 1',
    );
    expect(pickErrorLine(raw)).toBe("cp: cannot create regular file '/etc/app/app.conf': Permission denied");
  });

  it('bash set -x with nested traces (++) and no error word: the last line', () => {
    expect(pickErrorLine(log('++ hostname', '+ HOST=web-01', '+ test -f /data/ready', '+ exit 3'))).toBe('+ exit 3');
  });

  it('Python traceback: the exception line, not "Traceback (most recent call last):"', () => {
    const raw = log(
      'Traceback (most recent call last):',
      '  File "/data/deploy.py", line 42, in <module>',
      '    main()',
      '  File "/data/deploy.py", line 30, in main',
      "    port = int(os.environ['PORT'])",
      "ValueError: invalid literal for int() with base 10: 'eighty'",
    );
    expect(pickErrorLine(raw)).toBe("ValueError: invalid literal for int() with base 10: 'eighty'");
  });

  it('Python chained exceptions: the last exception', () => {
    const raw = log(
      'Traceback (most recent call last):',
      '  File "x.py", line 2, in <module>',
      "KeyError: 'PORT'",
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "x.py", line 4, in <module>',
      '    raise RuntimeError("no port configured")',
      'RuntimeError: no port configured',
    );
    expect(pickErrorLine(raw)).toBe('RuntimeError: no port configured');
  });

  it('Java stack trace: the exception line, not an `at` frame (even one naming an error handler)', () => {
    const raw = log(
      'Exception in thread "main" java.lang.NullPointerException',
      '\tat com.example.deploy.Main.readConfig(Main.java:57)',
      '\tat com.example.deploy.ErrorHandler.handleError(ErrorHandler.java:12)',
      '\tat com.example.deploy.Main.main(Main.java:20)',
    );
    expect(pickErrorLine(raw)).toBe('Exception in thread "main" java.lang.NullPointerException');
  });

  it('Java "Caused by": the root cause, after which only frames and "... n more" follow', () => {
    const raw = log(
      'Exception in thread "main" java.lang.IllegalStateException: startup aborted',
      '\tat com.example.App.start(App.java:10)',
      'Caused by: java.io.FileNotFoundException: /etc/app.yml (No such file or directory)',
      '\tat java.base/java.io.FileInputStream.open0(Native Method)',
      '\t... 3 more',
    );
    expect(pickErrorLine(raw)).toBe('Caused by: java.io.FileNotFoundException: /etc/app.yml (No such file or directory)');
  });

  it('Node.js: the Error line above its frames and the trailing object', () => {
    const raw = log(
      'node:internal/modules/cjs/loader:1228',
      '  throw err;',
      '  ^',
      '',
      "Error: Cannot find module 'express'",
      'Require stack:',
      '- /srv/app/server.js',
      '    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)',
      '    at node:internal/main/run_main_module:28:49 {',
      "  code: 'MODULE_NOT_FOUND',",
      '  requireStack: [ \'/srv/app/server.js\' ]',
      '}',
      '',
      'Node.js v20.11.1',
    );
    expect(pickErrorLine(raw)).toBe("Error: Cannot find module 'express'");
  });

  it('rsync: the final summary error', () => {
    const raw = log(
      'sending incremental file list',
      'rsync: [sender] send_files failed to open "/data/www/.htpasswd": Permission denied (13)',
      'sent 1,024 bytes  received 35 bytes  2,118.00 bytes/sec',
      'total size is 4,096  speedup is 3.87',
      'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [sender=3.2.7]',
    );
    expect(pickErrorLine(raw)).toBe('rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [sender=3.2.7]');
  });

  it('curl: the connection failure', () => {
    const raw = log(
      '  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current',
      '                                 Dload  Upload   Total   Spent    Left  Speed',
      '  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0',
      'curl: (7) Failed to connect to 10.0.0.5 port 8080 after 0 ms: Connection refused',
    );
    expect(pickErrorLine(raw)).toBe('curl: (7) Failed to connect to 10.0.0.5 port 8080 after 0 ms: Connection refused');
  });

  it('Chinese messages', () => {
    expect(pickErrorLine(log('开始部署', '错误：文件不存在', '清理临时文件'))).toBe('错误：文件不存在');
    expect(pickErrorLine(log('连接数据库超时', '完成'))).toBe('连接数据库超时');
  });

  it('clang: the compiler error, not "1 error generated."', () => {
    const raw = log('main.c:3:10: error: use of undeclared identifier \'x\'', '    return x;', '           ^', '1 error generated.');
    expect(pickErrorLine(raw)).toBe("main.c:3:10: error: use of undeclared identifier 'x'");
  });

  it('Ansible: the fatal task, not the recap counters', () => {
    const raw = log(
      'TASK [copy config] *************************************************************',
      'fatal: [web-01]: FAILED! => {"changed": false, "msg": "Destination /etc/app not writable"}',
      '',
      'PLAY RECAP *********************************************************************',
      'web-01                     : ok=2    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0',
    );
    expect(pickErrorLine(raw)).toBe('fatal: [web-01]: FAILED! => {"changed": false, "msg": "Destination /etc/app not writable"}');
  });

  it('PowerShell: the message, not its CategoryInfo detail', () => {
    const raw = log(
      "Get-Item : Cannot find path 'C:\\app\\conf' because it does not exist.",
      'At C:\\deploy.ps1:3 char:1',
      '+ Get-Item C:\\app\\conf',
      '+ ~~~~~~~~~~~~~~~~~~~~',
      "    + CategoryInfo          : ObjectNotFound: (C:\\app\\conf:String) [Get-Item], ItemNotFoundException",
      '    + FullyQualifiedErrorId : PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand',
    );
    expect(pickErrorLine(raw)).toBe("Get-Item : Cannot find path 'C:\\app\\conf' because it does not exist.");
  });

  it('a job_fail marker with a message is the author\'s reason, and is picked', () => {
    const raw = log('[2024-05-01 03:00:01][PID:12345] job_start', 'checking disk', '[2024-05-01 03:00:02][PID:12345] job_fail:[disk /data is 98% full]');
    expect(pickErrorLine(raw)).toBe('[2024-05-01 03:00:02][PID:12345] job_fail:[disk /data is 98% full]');
  });

  it('the last of several error lines wins', () => {
    expect(pickErrorLine(log('warning: first error', 'second failure', 'done'))).toBe('second failure');
  });

  it('ANSI colour codes are removed (and do not hide the word they wrap)', () => {
    expect(pickErrorLine(log('\u001b[32mok\u001b[0m', '\u001b[31mERROR\u001b[0m: disk full', 'bye'))).toBe('ERROR: disk full');
  });
});

describe('pickErrorLine: no error-like line', () => {
  it('falls back to the last non-empty line that is not bookkeeping', () => {
    const raw = log('[2024-05-01 03:00:01][PID:12345] job_start', 'copying files', 'exit code 3', '', '[2024-05-01 03:00:09][PID:12345] job_success:[]', '   ');
    expect(pickErrorLine(raw)).toBe('exit code 3');
  });

  it('a job_success marker with a message is kept as a fallback', () => {
    expect(pickErrorLine(log('step 1', '[2024-05-01 03:00:09][PID:7] job_success:[deployed v2]'))).toBe('[2024-05-01 03:00:09][PID:7] job_success:[deployed v2]');
  });

  it.each([
    ['empty log', ''],
    ['blank lines only', '\n  \r\n\t\n'],
    ['bookkeeping only', log('[2024-05-01 03:00:01][PID:12345] job_start', '[2024-05-01 03:00:02][PID:12345] job_fail:[]')],
    ['bookkeeping only, CRLF and padding', '  [2024-05-01 03:00:01][PID:1] job_start  \r\n[2024-05-01T03:00:02.123Z][PID: 99] job_success\r\n'],
  ])('%s → null', (_name, raw) => {
    expect(pickErrorLine(raw)).toBeNull();
  });
});

describe('pickErrorLine: line endings', () => {
  it.each([
    ['CRLF', 'a\r\nfatal: not a git repository\r\nb\r\n', 'fatal: not a git repository'],
    ['lone CR', 'a\rfatal: not a git repository\rb', 'fatal: not a git repository'],
    ['mixed', 'x\r\r\nError: boom\rtail\n', 'Error: boom'],
    ['CRLF fallback keeps no CR', 'one\r\ntwo\r\n\r\n', 'two'],
    ['no trailing newline', 'one\ntwo', 'two'],
    ['one line', '  just this  ', 'just this'],
    ['progress bar redrawn with CR: the last state', 'Downloading 10%\rDownloading 55%\rDownloading 100%\n', 'Downloading 100%'],
  ])('%s', (_name, raw, expected) => {
    expect(pickErrorLine(raw)).toBe(expected);
  });
});

describe('isErrorLike: words and boundaries', () => {
  it.each([
    'Error: x',
    'ERROR something',
    'the build errored',
    'fail',
    'Failed to start nginx.service',
    'disk failure',
    'fatal: refusing to merge',
    'an exception occurred',
    'Permission denied',
    'Connection refused',
    'bash: foo: command not found',
    'ls: cannot access /x: No such file or directory',
    'TIMEOUT after 30s',
    'ssh: connect to host web-01 port 22: Connection timed out',
    'Killed',
    "can't open file",
    'can’t open file',
    'could not resolve host',
    "couldn't resolve host",
    'unable to lock /var/lib/dpkg',
    'Segmentation fault (core dumped)',
    'Aborted (core dumped)',
    'panic: assignment to entry in nil map',
    "'deploy' is not recognized as an internal or external command,",
    'step 3 failed',
    'Error: 3 files missing',
    'make: *** [all] Error 2',
    'job_fail:[x]',
    'ERR_FAILED',
    'see /var/log/error.log',
    'ValueError: bad',
    'IOError',
    'java.lang.OutOfMemoryError: Java heap space',
    'java.io.IOException: Broken pipe',
    'Exceptions were thrown',
    '下载失败',
    '出现异常',
    '连接被拒绝',
    '发生错误',
  ])('%s → error-like', (line) => {
    expect(isErrorLike(line)).toBe(true);
  });

  it.each([
    ['plain text', 'copying files'],
    ['a different word containing "error"', 'terrorist mirror'],
    ['"error" inside a longer word', 'errorless run'],
    ['failover is not a failure', 'failover complete'],
    ['"fatal" inside a longer word', 'fatalistic'],
    ['a CamelCase name that only starts with Error', 'ErrorHandler ready'],
    ['lower-case "error" glued to letters is not a class name', 'myerror'],
    ['zero count after', 'errors=0'],
    ['zero count after, with colon', 'failed: 0'],
    ['Ansible recap', 'web-01 : ok=5 changed=1 unreachable=0 failed=0 skipped=0'],
    ['zero count before', 'Build finished with 0 errors'],
    ['no errors', 'No errors found'],
    ['without error', 'completed without error'],
    ['zero failures', 'zero failures'],
    ['zero count at the very start', '0 failed, 12 passed'],
    ['zero count in brackets', 'tests passed (0 failures)'],
    ['traced command', '+ grep -c error app.log'],
    ['nested traced command', '++ echo failed'],
    ['Java frame', '\tat com.example.ErrorHandler.handleError(ErrorHandler.java:12)'],
    ['JavaScript frame', '    at failHard (/srv/app.js:3:9)'],
    ['Java "... n more"', '\t... 12 more'],
    ['no word at all', 'total: 10 rows'],
    ['a count before a noun', '3 errors'],
    ['a count in brackets', 'tests done (2 failures)'],
    ["clang's count", '1 error generated.'],
    ['a counter', 'errors=3'],
    ['a counter with a colon', 'read timeouts: 4'],
    ['counters only', 'warnings=0 errors=2'],
    ['a setting', 'timeout=30'],
    ['Ansible recap with a failure', 'web-01 : ok=2 changed=0 unreachable=0 failed=1 skipped=0'],
    ['Python frame', '  File "/srv/deploy.py", line 30, in fail_over'],
    ['PowerShell category', '    + CategoryInfo          : ObjectNotFound: (C:\\x:String) [Get-Item], ItemNotFoundException'],
    ['PowerShell error id', '    + FullyQualifiedErrorId : PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand'],
  ])('%s → not error-like', (_name, line) => {
    expect(isErrorLike(line)).toBe(false);
  });

  it('a line with counts and a real error is error-like', () => {
    expect(isErrorLike('failed=0 error: disk full')).toBe(true);
    expect(isErrorLike('2 errors; fatal: out of memory')).toBe(true);
    expect(isErrorLike('0 errors, 1 job failed')).toBe(true);
  });

  it('numbers that are not counts', () => {
    expect(isErrorLike('errors=0.5%')).toBe(true);
    expect(isErrorLike('errors: 0x1f')).toBe(true);
    expect(isErrorLike('release v1.2 failed')).toBe(true);
    expect(isErrorLike('exit 10 failed')).toBe(true);
  });

  it('the exported word lists are what README cites', () => {
    expect(ERROR_WORDS).toContain('error');
    expect(ERROR_WORDS).toContain('failure');
    expect(ERROR_WORDS_ZH).toStrictEqual(['错误', '失败', '异常', '超时', '拒绝', '不存在']);
  });
});

describe('isJobBookkeeping', () => {
  it.each([
    ['[2024-05-01 03:00:01][PID:12345] job_start', true],
    ['[2024-05-01 03:00:01][PID:12345] job_success', true],
    ['[2024-05-01 03:00:01][PID:12345] job_success:[]', true],
    ['[2024-05-01 03:00:01][PID:12345] job_fail:[ ]', true],
    ['[2024-05-01 03:00:01][PID:12345]job_start', true],
    ['[2024-05-01 03:00:01][PID:12345] job_fail:[no space]', false],
    ['[2024-05-01 03:00:01][PID:12345] job_success:[ok]', false],
    ['[2024-05-01 03:00:01][PID:12345] job_started by cron', false],
    ['[2024-05-01 03:00:01] job_start', false],
    ['job_start', false],
    ['[PID:12345] job_start', false],
    ['[2024-05-01 03:00:01][PID:abc] job_start', false],
  ])('%s → %s', (line, expected) => {
    expect(isJobBookkeeping(line)).toBe(expected);
  });
});

describe('pickErrorLine: the 150-character cut', () => {
  it('keeps a 150-character line whole', () => {
    const line = `Error: ${'x'.repeat(143)}`;
    expect(line).toHaveLength(150);
    expect(pickErrorLine(line)).toBe(line);
  });

  it('cuts a 151-character line to 149 + "…"', () => {
    const line = `Error: ${'x'.repeat(144)}`;
    expect(pickErrorLine(line)).toBe(`Error: ${'x'.repeat(142)}…`);
  });

  it('counts code points: 150 emoji are kept whole, 151 are cut without splitting a pair', () => {
    expect(pickErrorLine('😀'.repeat(150))).toBe('😀'.repeat(150));
    const cut = pickErrorLine('😀'.repeat(151));
    expect(cut).toBe(`${'😀'.repeat(149)}…`);
    expect(codePoints(cut!)).toBe(ERROR_LINE_MAX_CHARS);
  });

  it('does not leave a space before the ellipsis', () => {
    expect(cutToCodePoints(`${'a'.repeat(148)} bcd`, 150)).toBe(`${'a'.repeat(148)}…`);
  });

  it('trims before cutting', () => {
    expect(pickErrorLine(`${' '.repeat(500)}fatal: x${' '.repeat(500)}`)).toBe('fatal: x');
  });

  it('a 1 MB single line is cut to 150', () => {
    const line = `Error: ${'abc '.repeat(MB / 4)}`;
    const picked = pickErrorLine(line);
    expect(picked).toBe(`Error: ${'abc '.repeat(35)}ab…`);
    expect(codePoints(picked!)).toBe(150);
  });

  it('a 1 MB single line of zero counts (a match every few characters, none an error): the fallback', () => {
    const line = 'errors=0 '.repeat(Math.floor(MB / 9));
    expect(pickErrorLine(line)).toBe(`${'errors=0 '.repeat(16)}error…`);
  });

  it('a 1 MB single line of Chinese with no error word: the fallback, cut', () => {
    const picked = pickErrorLine('中'.repeat(MB));
    expect(picked).toBe(`${'中'.repeat(149)}…`);
  });
});

describe('pickErrorLine: speed on long logs', () => {
  it('100k lines with the error near the start: one backward pass', () => {
    const lines = ['Error: early failure', ...Array.from({ length: 100_000 }, (_, i) => `copying file ${i}`)];
    expect(pickErrorLine(lines.join('\n'))).toBe('Error: early failure');
  });

  it('100k CRLF lines with no error word: the last line', () => {
    const raw = `${Array.from({ length: 100_000 }, (_, i) => `line ${i}`).join('\r\n')}\r\n`;
    expect(pickErrorLine(raw)).toBe('line 99999');
  });

  it('100k lines and an error at the end: stops at once', () => {
    const raw = log(...Array.from({ length: 100_000 }, (_, i) => `line ${i}`), 'fatal: late failure');
    expect(pickErrorLine(raw)).toBe('fatal: late failure');
  });
});

import { ArgumentError, defineCommand, editDistance, nearest, parseCommandArgs, wantsHelp } from '../../../local/cli/args';
import { UsageError } from '../../../local/cli/errors';

const DEMO = defineCommand({
  name: 'demo',
  summary: 'a command for these tests',
  description: 'Parses its options.',
  operands: [{ name: '<path...>', help: 'inputs' }],
  options: {
    window: { type: 'string', value: 'D', help: 'how long' },
    'state-dir': { type: 'string', value: 'DIR', help: 'where' },
    approver: { type: 'string', value: 'EMAIL', multiple: true, help: 'who' },
    json: { type: 'boolean', help: 'as JSON' },
    'no-progress': { type: 'boolean', help: 'quiet' },
  },
  exitStatus: ['0  fine'],
});

function refusal(argv: string[]): ArgumentError {
  try {
    parseCommandArgs(DEMO, argv);
  } catch (e) {
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e).toBeInstanceOf(UsageError);
    return e as ArgumentError;
  }
  throw new Error(`parsed without complaint: ${argv.join(' ')}`);
}

describe('parseCommandArgs', () => {
  it('reads values, booleans (false when left out), repeated options and positionals in order', () => {
    const { values, positionals } = parseCommandArgs(DEMO, ['a.log', '--window', '15m', '--approver', 'x@example.com', 'b.log', '--approver=y@example.com', '--json']);
    expect(values).toEqual({ window: '15m', approver: ['x@example.com', 'y@example.com'], json: true, 'no-progress': false });
    expect(positionals).toEqual(['a.log', 'b.log']);
  });

  it('lets the last of a repeated single option count, so a script can override its own defaults', () => {
    expect(parseCommandArgs(DEMO, ['--window', '5m', '--window', '1h']).values.window).toBe('1h');
  });

  it('takes "-" (stdin) as a value and as a positional, and everything after -- as positionals', () => {
    const { values, positionals } = parseCommandArgs(DEMO, ['--state-dir', '-', '-', '--', '--json', '-x']);
    expect(values['state-dir']).toBe('-');
    expect(values.json).toBe(false);
    expect(positionals).toEqual(['-', '--json', '-x']);
  });

  it('takes a value starting with a dash when written --option=value', () => {
    expect(parseCommandArgs(DEMO, ['--window=-5']).values.window).toBe('-5');
  });

  it.each([
    [['--windw', '1h'], 'unknown option --windw (did you mean --window?)'],
    [['--WINDOW', '1h'], 'unknown option --WINDOW (did you mean --window?)'],
    [['--state', 'x'], 'unknown option --state (did you mean --state-dir?)'],
    [['--statedir', 'x'], 'unknown option --statedir (did you mean --state-dir?)'],
    [['--josn'], 'unknown option --josn (did you mean --json?)'],
    [['--aprover', 'x'], 'unknown option --aprover (did you mean --approver?)'],
    [['--colour'], 'unknown option --colour'],
    [['-x'], 'unknown option -x'],
    [['--help'], 'unknown option --help'], // main() answers --help before a command parses
    [['--window'], '--window needs a value: --window D'],
    [['--window', '--json'], '--window needs a value: --window D, not "--json" (write --window=--json if that is the value)'],
    [['--window', '-5'], '--window needs a value: --window D, not "-5" (write --window=-5 if that is the value)'],
    [['--window='], '--window needs a value, got an empty one: --window D'],
    [['--approver', ''], '--approver needs a value, got an empty one: --approver EMAIL'],
    [['--json=yes'], '--json takes no value (got "--json=yes")'],
  ])('%j: %s', (argv, message) => {
    expect(refusal(argv).message).toBe(message);
  });

  it('does not take an inherited property for an option', () => {
    expect(refusal(['--constructor']).message).toMatch(/^unknown option --constructor/);
    expect(refusal(['--__proto__', 'x']).message).toMatch(/^unknown option --__proto__/);
  });
});

describe('wantsHelp', () => {
  it.each([
    [['--help'], true],
    [['a.log', '-h'], true],
    [['--window', '1h', '--help'], true],
    [['--', '--help'], false],
    [['--help=1'], false],
    [['--helpful'], false],
    [[], false],
  ])('%j: %s', (argv, expected) => {
    expect(wantsHelp(argv)).toBe(expected);
  });
});

describe('nearest and editDistance', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('josn', 'json')).toBe(1);
    expect(editDistance('windw', 'window')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('scan', 'scan')).toBe(0);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests only what is close enough, or the one option a prefix begins', () => {
    const commands = ['scan', 'run', 'audit', 'sample'];
    expect(nearest('sacn', commands)).toBe('scan');
    expect(nearest('rnu', commands)).toBe('run');
    expect(nearest('audti', commands)).toBe('audit');
    expect(nearest('smaple', commands)).toBe('sample');
    expect(nearest('deploy', commands)).toBeUndefined();
    expect(nearest('s', commands)).toBeUndefined(); // too short to be a prefix of anything in particular
    expect(nearest('sa', commands)).toBe('sample');
    expect(nearest('state', ['state-dir', 'state-machine'])).toBeUndefined(); // two options begin so: neither is suggested
  });
});

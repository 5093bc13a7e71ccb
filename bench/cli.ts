/**
 * The benches' command lines: `--help` prints the runner's own header comment (its usage, what it
 * measures, its settings: one text, kept beside the code) and exits 0; an option the runner does
 * not know stops it at once, naming the option and the known ones, rather than being ignored.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The first block comment of a source file, without its comment markers. */
export function headerComment(file: string): string {
  const m = /\/\*\*([\s\S]*?)\*\//.exec(readFileSync(file, 'utf8'));
  if (!m) return '';
  return m[1]!
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim();
}

/**
 * `name → value` of `--name value` options. `entry` is the runner's import.meta.url, `known` its
 * option names (without `--`); `--help` / `-h` print the header and exit.
 */
export function cliOptions(
  argv: string[],
  entry: string,
  known: readonly string[],
): (name: string, def: string) => string {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(headerComment(fileURLToPath(entry)));
    process.exit(0);
  }
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const name = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || !known.includes(name)) {
      console.error(
        `unknown option ${JSON.stringify(flag)}` +
          (known.length ? ` (known: ${known.map((k) => `--${k}`).join(', ')})` : ' (none taken)') +
          '; --help says more',
      );
      process.exit(2);
    }
  }
  return (name, def) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? (argv[i + 1] ?? def) : def;
  };
}

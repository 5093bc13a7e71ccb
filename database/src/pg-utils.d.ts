/** The part of pg's lib/utils.js (exported as `pg/lib/*`) the text-row query uses. */
declare module 'pg/lib/utils.js' {
  const utils: {
    /** a query value as pg sends it: text, bytes (a Buffer) or null */
    prepareValue(value: unknown): string | Buffer | null;
  };
  export default utils;
}

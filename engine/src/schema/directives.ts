/** The directives every role's schema declares (Hasura's `include`, `skip` and `cached`). */
import { nn, type DirectiveDef, type InputValueDef } from './types.ts';

const ifArg = (description: string | null): InputValueDef => ({
  name: 'if',
  description,
  type: nn('Boolean'),
  parse: 'bool',
});

export const DIRECTIVES: DirectiveDef[] = [
  {
    name: 'include',
    description: 'whether this query should be included',
    locations: ['FIELD', 'FRAGMENT_SPREAD', 'INLINE_FRAGMENT'],
    args: [ifArg(null)],
    isRepeatable: false,
  },
  {
    name: 'skip',
    description: 'whether this query should be skipped',
    locations: ['FIELD', 'FRAGMENT_SPREAD', 'INLINE_FRAGMENT'],
    args: [ifArg(null)],
    isRepeatable: false,
  },
  {
    name: 'cached',
    description: 'whether this query should be cached (Hasura Cloud only)',
    locations: ['QUERY'],
    args: [
      {
        name: 'ttl',
        description: 'measured in seconds',
        type: nn('Int'),
        defaultValue: '60',
        parse: 'int',
      },
      {
        name: 'refresh',
        description: 'refresh the cache entry',
        type: nn('Boolean'),
        defaultValue: 'false',
        parse: 'bool',
      },
    ],
    isRepeatable: false,
  },
];

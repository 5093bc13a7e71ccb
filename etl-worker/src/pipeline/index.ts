// The pipeline layer: declarations (rows of etl.pipelines) compiled into pure decoders.
export * from './types.ts';
export { compilePipeline, ENTITY_ID_COLUMN } from './compile.ts';
export { abbreviate, MAX_ENTITY_KEY_LENGTH, parseMessage } from './decode.ts';
export type { ParsedMessage } from './decode.ts';
export { compileJsonPath, JsonPathError } from './json-path.ts';
export type { JsonPath, PathSegment } from './json-path.ts';
export {
  compilePattern,
  compileTimeFormat,
  END_TIME_US,
  formatTimeUs,
  MIN_TIME_US,
  parseIso8601,
  TimeFormatError,
} from './time.ts';
export type { TimeParser, TimeParseResult } from './time.ts';
export {
  CoerceError,
  columnTypeOf,
  compileCoercer,
  isCompatible,
  isNumericType,
} from './coerce.ts';
export type { Coercer, ColumnType, ElementType, Scalar } from './coerce.ts';
export { compileUnitConversion, UNIT_NAMES, unitFamily, UnitError } from './units.ts';
export type { UnitConversion, UnitFamily } from './units.ts';
export {
  compileExpression,
  ExpressionError,
  ExpressionFault,
  FUNCTION_NAMES,
  parseExpression,
} from './expression.ts';
export type {
  CompiledExpression,
  Evaluator,
  ExpressionScope,
  ExprNode,
  ScopeEntry,
  StaticType,
  Value,
} from './expression.ts';

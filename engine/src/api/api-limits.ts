/**
 * `set_api_limits` / `remove_api_limits` (Hasura's Metadata API for API limits): the limits are
 * checked as Hasura reads them and stored in the metadata's `api_limits`, where export_metadata,
 * replace_metadata and the CLI's `api_limits.yaml` carry them.
 */
import { parseApiLimits } from '../limits/index.ts';
import { success, type Args, type OpContext } from './context.ts';

export function setApiLimits(ctx: OpContext, args: Args): unknown {
  ctx.draft.api_limits = parseApiLimits(args);
  ctx.changed = true;
  return success;
}

export function removeApiLimits(ctx: OpContext): unknown {
  delete ctx.draft.api_limits;
  ctx.changed = true;
  return success;
}

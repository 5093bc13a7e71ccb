/** An entity a panel can draw, as the pickers list it. */
export interface EntityOption {
  id: string;
  label: string;
  attributes?: Record<string, unknown>;
}

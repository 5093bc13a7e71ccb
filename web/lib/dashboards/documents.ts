/** GraphQL documents of the dashboard's own tables (dashboards, panels, alert rules, alerts). */

const PANEL_FIELDS =
  'id dashboard_id position title stream metrics entities bucket aggregate visualization width';
const DASHBOARD_FIELDS = 'id owner_id title description shared stream time_from time_to version';
const RULE_FIELDS =
  'id panel_id owner_id name stream metric op threshold for_seconds entity_ids enabled';
const ALERT_FIELDS =
  'id rule_id rule_name stream metric op threshold entity_id state started_at fired_at fired_value resolved_at resolved_value resolved_reason';

export const DASHBOARDS_QUERY = `query Dashboards {
  dashboards(order_by: [{ stream: asc_nulls_last }, { title: asc }]) { ${DASHBOARD_FIELDS} panels_aggregate: panels(limit: 100) { id } }
}`;

export const DASHBOARD_QUERY = `query Dashboard($id: uuid!) {
  dashboard: dashboards_by_pk(id: $id) { ${DASHBOARD_FIELDS} panels(order_by: { position: asc }) { ${PANEL_FIELDS} } }
}`;

export const CREATE_DASHBOARD = `mutation CreateDashboard($object: dashboards_insert_input!) {
  dashboard: insert_dashboards_one(object: $object) { ${DASHBOARD_FIELDS} }
}`;

export const UPDATE_DASHBOARD = `mutation UpdateDashboard($id: uuid!, $set: dashboards_set_input!) {
  dashboard: update_dashboards_by_pk(pk_columns: { id: $id }, _set: $set) { ${DASHBOARD_FIELDS} }
}`;

export const DELETE_DASHBOARD = `mutation DeleteDashboard($id: uuid!) {
  dashboard: delete_dashboards_by_pk(id: $id) { id }
}`;

export const CREATE_PANEL = `mutation CreatePanel($object: panels_insert_input!) {
  panel: insert_panels_one(object: $object) { ${PANEL_FIELDS} }
}`;

export const CREATE_PANELS = `mutation CreatePanels($objects: [panels_insert_input!]!) {
  panels: insert_panels(objects: $objects) { affected_rows }
}`;

export const UPDATE_PANEL = `mutation UpdatePanel($id: uuid!, $set: panels_set_input!) {
  panel: update_panels_by_pk(pk_columns: { id: $id }, _set: $set) { ${PANEL_FIELDS} }
}`;

export const DELETE_PANEL = `mutation DeletePanel($id: uuid!) {
  panel: delete_panels_by_pk(id: $id) { id }
}`;

export const RULES_QUERY = `query AlertRules($panels: [uuid!]!) {
  rules: alert_rules(where: { panel_id: { _in: $panels } }, order_by: { created_at: asc }) { ${RULE_FIELDS} }
}`;

/** The rules on a dashboard's panels, in the same round trip as the dashboard. */
export const DASHBOARD_RULES_QUERY = `query DashboardAlertRules($dashboard: uuid!) {
  rules: alert_rules(where: { panel: { dashboard_id: { _eq: $dashboard } } }, order_by: { created_at: asc }) { ${RULE_FIELDS} }
}`;

export const CREATE_RULE = `mutation CreateRule($object: alert_rules_insert_input!) {
  rule: insert_alert_rules_one(object: $object) { ${RULE_FIELDS} }
}`;

export const UPDATE_RULE = `mutation UpdateRule($id: uuid!, $set: alert_rules_set_input!) {
  rule: update_alert_rules_by_pk(pk_columns: { id: $id }, _set: $set) { ${RULE_FIELDS} }
}`;

export const DELETE_RULE = `mutation DeleteRule($id: uuid!) {
  rule: delete_alert_rules_by_pk(id: $id) { id }
}`;

/** Live: the firing alerts (of some rules, or all), newest first. */
export const FIRING_ALERTS = `subscription FiringAlerts($rules: [uuid!]) {
  alerts(where: { state: { _eq: "firing" }, rule_id: { _in: $rules } }, order_by: { fired_at: desc }, limit: 200) { ${ALERT_FIELDS} }
}`;

export const ALL_FIRING_ALERTS = `subscription AllFiringAlerts {
  alerts(where: { state: { _eq: "firing" } }, order_by: { fired_at: desc }, limit: 200) { ${ALERT_FIELDS} }
}`;

export const RECENT_ALERTS = `subscription RecentAlerts($limit: Int!) {
  alerts(order_by: { id: desc }, limit: $limit) { ${ALERT_FIELDS} }
}`;

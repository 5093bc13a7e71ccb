DROP TRIGGER alert_rules_notify ON public.alert_rules;
DROP FUNCTION alerting.rules_notify();
DROP TRIGGER alert_rules_changed ON public.alert_rules;
DROP FUNCTION alerting.rule_changed();
DROP FUNCTION alerting.evaluate(text[], bigint[], bigint[], text[], double precision[]);
DROP TABLE alerting.rule_state;
DROP TABLE public.alerts;
DROP TABLE public.alert_rules;
DROP SCHEMA alerting;

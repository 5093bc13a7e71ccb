DROP FUNCTION public.evaluate_demo_alert_rules(interval);
DROP TABLE public.demo_alerts;
DROP TABLE public.demo_alert_rules;

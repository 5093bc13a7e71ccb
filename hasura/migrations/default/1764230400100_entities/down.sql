DROP TABLE public.entities;

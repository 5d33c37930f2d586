-- 0005: placeholder reserved for the reading work; replaced by its DDL.
SELECT 1;

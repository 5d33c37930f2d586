-- 0008: placeholder reserved for the rules work; replaced by its DDL.
SELECT 1;

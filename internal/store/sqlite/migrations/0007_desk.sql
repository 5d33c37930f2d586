-- 0007: placeholder reserved for the desk work; replaced by its DDL.
SELECT 1;

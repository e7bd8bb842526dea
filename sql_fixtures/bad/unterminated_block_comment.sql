SELECT 1;
/* a comment
   that never ends; SELECT 2;

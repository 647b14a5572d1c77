-- The agent saga (actors/agent_interfaces.hpp) resumes agent creations from their rows after a
-- restart. Which agents need it is a question about every tenant, so it is answered by this
-- narrow SECURITY DEFINER function (like 002's and 007's): ids and timing, nothing else.
-- An agent needs the saga while it is creating (its attempt may have died with its process) or
-- failed with automatic attempts left (attempts < p_max_attempts).
CREATE FUNCTION rm_agents_to_resume(p_max_attempts int)
RETURNS TABLE (id uuid, org_id uuid, status text, attempts int, updated_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT a.id, a.org_id, a.status, a.attempts, a.updated_at FROM agents a
   WHERE a.status = 'creating' OR (a.status = 'failed' AND a.attempts < p_max_attempts)
   ORDER BY a.updated_at
   LIMIT 1000
$$;

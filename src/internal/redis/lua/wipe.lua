-- Removes up to LIMIT expired sessions of the shard; returns how many.
return sweep(now_ms(), LIMIT)

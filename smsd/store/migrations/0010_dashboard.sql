-- smsd schema: indexes of the web dashboard.
--
-- A conversation reads every message to and from one number of one user; these two indexes
-- make it an index range instead of a scan of the user's messages. The overview's hourly chart
-- counts a user's finished messages of the last 48 hours by state from `sended_user_outcome`
-- alone. It is partial (no queued or sending message), so the engine's queries on the queue keep
-- their own small indexes and a message entering it costs no extra index write.

CREATE INDEX sended_user_destination ON sended (id_user, destination, id);
CREATE INDEX received_user_origin ON received (id_user, origin, id);
CREATE INDEX sended_user_outcome ON sended (id_user, at, state)
    WHERE state IN ('sent', 'delivered', 'failed', 'unknown');

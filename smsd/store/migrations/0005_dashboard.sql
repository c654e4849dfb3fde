-- smsd schema: indexes of the web dashboard's conversations.
--
-- A conversation reads every message to and from one number of one user; these two indexes
-- make it an index range instead of a scan of the user's messages.

CREATE INDEX sended_user_destination ON sended (id_user, destination, id);
CREATE INDEX received_user_origin ON received (id_user, origin, id);

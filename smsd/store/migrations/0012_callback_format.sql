-- smsd schema: per-message callback URLs in the shape of the door that took the message.
--
-- Self-contained (its number is only in the file name). `callback_format` names the shape the
-- webhook sender gives the events posted to a scheduled message's url_dlr and url_response:
-- NULL is RaspiSMS's webhook form (migration 0002), 'smspartner' SMSPartner's delivery-receipt
-- and reply fields (smsd.webhooks.smspartner). The user's own webhooks keep RaspiSMS's form.
ALTER TABLE scheduled ADD COLUMN callback_format TEXT;

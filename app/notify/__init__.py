"""One transport per channel (email, sms, voice, push, webhook): how a message leaves Rounds."""

"""Network clients: SFTP (asyncssh), IMAP (imaplib) and SMTP (smtplib), each with its notion of a
transient error; files land in a folder atomically; retries back off. No database, no
configuration files: the use cases (``rkc.collect``, ``rkc.deliver``) hand them what they need."""

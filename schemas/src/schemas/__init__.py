"""Trust Portal contracts: the CloudEvents envelope, events per context, read models and topics."""

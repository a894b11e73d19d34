"""Readers of the files agents send: registers (text, XLSX, ГИС ЖКХ XML) and bank statements.

Every register parser follows one contract (``parsers.base.RegisterParser``): a cheap,
conservative ``identify`` and a streaming ``parse`` that yields chunks of normalised payments.
"""

"""The mail domain: folders, messages, drafts, sending and local delivery."""

"""A tiny blog: users write posts, posts carry tags."""

"""Stories: articles about one event from several outlets, grouped, and summarized together.

Pure core code over plain data (:class:`StoryArticle` in, story ids and sentences out): no
database, no task queue, no web framework.  Grouping is :mod:`briefing.stories.grouping`
(incremental :class:`StoryIndex`, batch :func:`group_articles`); story summaries are
:mod:`briefing.stories.summary`.
"""

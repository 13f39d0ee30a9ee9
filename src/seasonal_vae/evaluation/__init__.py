"""Stage 3, judging the generated weather: the article's comparison statistics, the metric
suite against the real-vs-real noise floor, the real-vs-generated classifier and proper
scores."""

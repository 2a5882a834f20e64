mod common;
mod story_data;

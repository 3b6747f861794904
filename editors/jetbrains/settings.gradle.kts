rootProject.name = "stella-intellij"

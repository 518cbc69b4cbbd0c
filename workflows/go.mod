module github.com/closeloop/closeloop/workflows

go 1.26.0
